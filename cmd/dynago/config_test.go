package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dynago.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigFile(t *testing.T) {
	path := writeConfig(t, `# a Dynago node
port 7100
dir "/var/lib/dynago data"
requirepass s3cret
replicas 5
write-quorum 3
strict-quorum yes
anti-entropy-interval 30s
protected-mode no
`)
	o, err := parseFlags([]string{"--config", path, "--port", "7200"})
	if err != nil {
		t.Fatal(err)
	}
	if o.port != 7200 {
		t.Errorf("port %d: the command line must override the file", o.port)
	}
	if o.dir != "/var/lib/dynago data" || o.security.RequirePass != "s3cret" || o.replicas != 5 || o.writeQuorum != 3 ||
		!o.strictQuorum || o.antiEntropyInterval != 30*time.Second || !o.security.NoProtectedMode {
		t.Errorf("settings from the file not applied: %+v", o)
	}
	if o.nodeName != "127.0.0.1:7200" {
		t.Errorf("node name %q", o.nodeName)
	}
}

func TestConfigFileErrorsNameTheSetting(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"port 7100\nbogus-setting 1\n", `line 2: unknown setting "bogus-setting"`},
		{"replicas three\n", `line 1: invalid value "three" for replicas`},
		{"hint-interval soon\n", "invalid value \"soon\" for hint-interval"},
		{"partitions 100\n", "--partitions must be a power of two"},
	} {
		_, err := parseFlags([]string{"--config", writeConfig(t, tc.text)})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("config %q: error %v, want one containing %q", tc.text, err, tc.want)
		}
	}
	if _, err := parseFlags([]string{"--config", "/nonexistent/dynago.conf"}); err == nil {
		t.Error("a missing config file was accepted")
	}
}
