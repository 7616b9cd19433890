package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
)

// configFileArgs reads the file named by --config in args, if any, and
// returns its settings as flags to parse before args (so that flags given on
// the command line win). The file has Redis's format: one "name value" per
// line, # starting a comment, a value in double quotes when it has spaces;
// names are the flags' names. A bool flag takes yes/no as well as true/false.
// An unknown name or a malformed line stops the start, naming the line.
func configFileArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	path := ""
	for i := 0; i < len(args); i++ {
		a := strings.TrimLeft(args[i], "-")
		if a == "config" && i+1 < len(args) {
			path = args[i+1]
		} else if v, ok := strings.CutPrefix(a, "config="); ok {
			path = v
		}
	}
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, value, _ := strings.Cut(text, " ")
		name, value = strings.ToLower(name), strings.TrimSpace(value)
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		fl := fs.Lookup(name)
		if fl == nil || name == "config" {
			return nil, fmt.Errorf("%s line %d: unknown setting %q", path, line, name)
		}
		if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			switch strings.ToLower(value) {
			case "yes", "":
				value = "true"
			case "no":
				value = "false"
			}
		}
		if err := fl.Value.Set(value); err != nil {
			return nil, fmt.Errorf("%s line %d: invalid value %q for %s: %v", path, line, value, name, err)
		}
		out = append(out, "--"+name+"="+value)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--config %s: %w", path, err)
	}
	return out, nil
}
