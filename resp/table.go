package resp

import "sort"

// Command is one entry of the command table: the single place where a
// command exists. Dispatch, arity checks and the COMMAND command all read it.
type Command struct {
	Name  string   // lowercase, as Redis names it
	Arity int      // argument count including the name; -n means at least n
	Flags []string // Redis command flags: write, readonly, fast, ...
	// FirstKey, LastKey and Step locate key arguments (1-based; LastKey -1
	// means the last argument), as COMMAND INFO reports them.
	FirstKey, LastKey, Step int
	Group                   string // Redis's command group: string, generic, connection, server, ...
	Summary                 string
	Since                   string // the Redis (or Dynago) version that introduced it
	Handler                 func(c *client, args [][]byte)
	// Subcommands of container commands (CLIENT, CONFIG, COMMAND, DYNAGO).
	Subcommands []*Command
}

// oneKeyOf returns the maker of table entries of group's commands whose key
// is their first argument.
func oneKeyOf(group string) func(name string, arity int, flags []string, since, summary string, h func(*client, [][]byte)) *Command {
	return func(name string, arity int, flags []string, since, summary string, h func(*client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, Group: group, Since: since, Summary: summary, Handler: h}
	}
}

func (cmd *Command) arityOK(n int) bool {
	if cmd.Arity >= 0 {
		return n == cmd.Arity
	}
	return n >= -cmd.Arity
}

// commands is the command table, filled by init functions of the files that
// implement each group, and indexed by name.
var (
	commands     []*Command
	commandIndex = map[string]*Command{}
)

func register(cmds ...*Command) {
	for _, cmd := range cmds {
		if _, dup := commandIndex[cmd.Name]; dup {
			panic("resp: command registered twice: " + cmd.Name)
		}
		commands = append(commands, cmd)
		commandIndex[cmd.Name] = cmd
	}
	sort.Slice(commands, func(i, j int) bool { return commands[i].Name < commands[j].Name })
}

// lookup finds a command by name, ignoring case, without allocating for
// names already in lowercase.
func lookup(name []byte) *Command {
	if cmd, ok := commandIndex[string(name)]; ok {
		return cmd
	}
	return commandIndex[lower(name)]
}

// subcommand finds cmd's subcommand named by arg, ignoring case.
func (cmd *Command) subcommand(arg []byte) *Command {
	for _, sub := range cmd.Subcommands {
		if eq(arg, sub.Name[len(cmd.Name)+1:]) {
			return sub
		}
	}
	return nil
}

// dispatchSub runs the subcommand named by args[1] of a container command,
// answering Redis's errors for unknown subcommands and wrong arity.
func dispatchSub(cmd *Command, c *client, args [][]byte) {
	sub := cmd.subcommand(args[1])
	if sub == nil {
		c.writeError("ERR unknown subcommand '" + truncate(cString(args[1]), 128) +
			"'. Try " + upper(cmd.Name) + " HELP.")
		return
	}
	c.cmd.Store(sub)
	if !sub.arityOK(len(args)) {
		c.writeError(errArity(sub.Name))
		return
	}
	sub.Handler(c, args)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func upper(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if 'a' <= ch && ch <= 'z' {
			b[i] = ch - ('a' - 'A')
		}
	}
	return string(b)
}
