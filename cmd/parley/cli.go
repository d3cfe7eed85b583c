package main

// This file is the command-line client for people: parley login, send,
// listen and the rest. It talks to a server only through package client,
// and keeps each profile's login (server, token, ids) in a JSON file under
// $PARLEY_HOME, so that two terminals can be two people:
//
//	parley --profile alice login
//	parley --profile bob listen

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/wire"
)

const defaultServer = "http://127.0.0.1:8080"

// cliUsage is printed by parley help.
const cliUsage = `Parley's command-line client. Flags go before arguments.

Every command takes --server URL (env PARLEY_SERVER, else the server saved
at login, else ` + defaultServer + `) and --profile NAME (env PARLEY_PROFILE,
default "default"); profiles live in $PARLEY_HOME (default: your config
directory/parley), so two terminals can be two people:
  parley --profile alice login      parley --profile bob login

Account:
  login [--phone P] [--code C] [--device NAME] [--request-only]
                                   log in with a one-time code sent to P
  logout                           unlink this device and forget the login
  whoami                           who this profile is
  profile [ACCOUNT]                show a profile (yours by default)
  profile set [--name N] [--about A]
  lookup +PHONE...                 find people by phone number
  devices                          list your linked devices
  devices revoke DEVICE            unlink one of them
  devices approve [--no-history] DEVICE
                                   let contacts encrypt to a device you linked,
                                   and send it your history, encrypted for it
  block [ACCOUNT]                  block someone (no argument: list blocked)
  unblock ACCOUNT

Chats (ACCOUNT is a +phone number, or an account id; CHAT is a chat id):
  chats                            list your chats
  chat open ACCOUNT                open (or create) the 1:1 chat with someone
  chat info CHAT                   show a chat and its members
  group create --subject S ACCOUNT...
                                   e.g. group create --subject Lunch +14155550102
  group add CHAT ACCOUNT...        add members (admins)
  group remove CHAT ACCOUNT...     remove members (admins)
  group leave CHAT

Messages (send, reply, react, edit and delete take --id to choose the
message id; sending the same id again is harmless):
  send CHAT TEXT...
  reply CHAT MESSAGE TEXT...
  react CHAT MESSAGE EMOJI
  edit CHAT MESSAGE TEXT...
  order CHAT REFERENCE             show an order a business sent, with its timeline
  pay [--key K] [--method M] CHAT REFERENCE
                                   pay that order in the chat
  flow CHAT [MESSAGE]              fill in a Flow a business sent, as prompts
                                   (without MESSAGE: the next Flow to arrive)
  delete CHAT MESSAGE
  read CHAT MESSAGE...             mark messages read (an unknown id is an error)
  inbox                            print and acknowledge what is waiting
  listen [--count N]               print messages, receipts, typing and
                                   presence as they come, until ctrl-c

End-to-end encryption (on for every message; keys in PROFILE.e2ee.json):
  safety-number [--digits] ACCOUNT the 60 digits to compare with a contact
  verify ACCOUNT                   mark the contact verified (warns on change)
  history [CHAT]                   the messages this device keeps (PROFILE.history.json)
  backup-keys enable|restore|off   an encrypted backup of your keys and history,
                                   opened only with a recovery key you write down

Channels (run parley channel for the subcommands):
  channel create|list|find|info|follow|unfollow|post|poll|timeline|vote|react

Server and operator:
` + operatorUsage + `
  parley --version                 print the version
`

// runCLI runs one client subcommand; args[0] is its name.
func runCLI(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cl := &cli{ctx: ctx, getenv: getenv, in: bufio.NewReader(stdin), out: stdout, errw: stderr, names: map[int64]string{},
		biz: map[int64]*wire.PublicBusiness{}, noted: map[int64]bool{}}
	cl.profile = getenv("PARLEY_PROFILE")
	// Flags common to every command may also come before the command.
	global := cl.flagSet("parley", "COMMAND [ARGS]")
	if err := global.Parse(args); err != nil {
		return helpIsNotAnError(err)
	}
	args = global.Args()
	if len(args) == 0 {
		fmt.Fprint(stderr, cliUsage)
		return errors.New("no command given")
	}
	cmd := cl.command(args[0])
	if cmd == nil {
		return fmt.Errorf("unknown command %q; run parley help", args[0])
	}
	err := helpIsNotAnError(cmd(args[1:]))
	if e2eErr := cl.afterE2EE(true); err == nil {
		err = e2eErr
	}
	return err
}

func helpIsNotAnError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// command returns the implementation of a subcommand, or nil.
func (cl *cli) command(name string) func(args []string) error {
	switch name {
	case "help":
		return cl.help
	case "login":
		return cl.login
	case "logout":
		return cl.logout
	case "whoami":
		return cl.whoami
	case "profile":
		return cl.profileCmd
	case "lookup":
		return cl.lookup
	case "devices":
		return cl.devices
	case "block":
		return cl.block
	case "unblock":
		return cl.unblock
	case "chats":
		return cl.chats
	case "chat":
		return cl.chat
	case "group":
		return cl.group
	case "send":
		return cl.send
	case "reply":
		return cl.reply
	case "react":
		return cl.react
	case "edit":
		return cl.edit
	case "delete":
		return cl.deleteMsg
	case "read":
		return cl.read
	case "order":
		return cl.order // cli_orders.go
	case "pay":
		return cl.pay
	case "flow":
		return cl.flow // cli_flow.go
	case "inbox":
		return cl.inbox
	case "listen":
		return cl.listen
	case "channel":
		return cl.channelCmd
	case "safety-number":
		return cl.safetyNumber
	case "verify":
		return cl.verify
	case "history":
		return cl.historyCmd // cli_history.go
	case "backup-keys":
		return cl.backupKeys
	}
	return nil
}

// cli is one invocation of the client: its I/O, its flags, and what it
// learns as it goes (the saved login, names of accounts).
type cli struct {
	ctx    context.Context
	getenv func(string) string
	in     *bufio.Reader
	out    io.Writer
	errw   io.Writer

	server  string // --server; empty means env, then saved, then default
	profile string // --profile

	st    *state
	c     *client.Client
	names map[int64]string // labels of accounts, by id
	hist  historyState     // cli_history.go
	// biz holds the business profile of each account looked up (nil for a
	// person); noted, the businesses whose hosting notice was printed.
	biz   map[int64]*wire.PublicBusiness
	noted map[int64]bool
}

// state is what a profile remembers between runs.
type state struct {
	Server    string `json:"server"`
	Phone     string `json:"phone"`
	AccountID int64  `json:"account_id"`
	DeviceID  int64  `json:"device_id"`
	Token     string `json:"token"`
	// Phones are numbers of other accounts this profile looked up; the
	// server shows a phone only to those who know it.
	Phones map[int64]string `json:"phones,omitempty"`
}

// flagSet returns a FlagSet for a command with the common flags.
func (cl *cli) flagSet(name, argsUsage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&cl.server, "server", cl.server, "server URL (env PARLEY_SERVER; default: the one saved at login, else "+defaultServer+")")
	fs.StringVar(&cl.profile, "profile", cl.profile, `profile name (env PARLEY_PROFILE; default "default")`)
	fs.Usage = func() {
		if name == "parley" {
			fmt.Fprintf(cl.errw, "usage: parley [flags] %s (parley help lists the commands)\nflags:\n", argsUsage)
		} else {
			fmt.Fprintf(cl.errw, "usage: parley %s [flags] %s\nflags:\n", name, argsUsage)
		}
		fs.PrintDefaults()
	}
	usageOnce(fs, cl.errw)
	return fs
}

// parse parses args and checks the number of positional arguments is at
// least min (and at most max, unless max < 0).
func parse(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	rest := fs.Args()
	if len(rest) < min || (max >= 0 && len(rest) > max) {
		fs.Usage()
		return nil, fmt.Errorf("%s: wrong number of arguments", fs.Name())
	}
	return rest, nil
}

var profileName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func (cl *cli) statePath() (string, error) {
	name := cl.profile
	if name == "" {
		name = "default"
	}
	if !profileName.MatchString(name) || name == "." || name == ".." {
		return "", fmt.Errorf("profile name %q: use letters, digits and ._-", name)
	}
	home := cl.getenv("PARLEY_HOME")
	if home == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("find a home for profiles (set PARLEY_HOME): %w", err)
		}
		home = filepath.Join(dir, "parley")
	}
	return filepath.Join(home, name+".json"), nil
}

// loadState reads the profile's saved login; nil if there is none.
func (cl *cli) loadState() (*state, error) {
	path, err := cl.statePath()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("read profile %s: %w", path, err)
	}
	return &st, nil
}

// saveState writes the profile atomically, readable only by its owner: it
// holds a bearer token.
func (cl *cli) saveState(st *state) error {
	path, err := cl.statePath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create profile directory: %w", err)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode profile: %w", err)
	}
	return writePrivate(path, append(b, '\n'))
}

// writePrivate writes a file of the profile folder atomically, mode 0600
// (os.CreateTemp makes it so): profiles hold a bearer token and private
// keys.
func writePrivate(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create profile directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".profile-*")
	if err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("save profile: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	return nil
}

// serverURL resolves the server: --server, then $PARLEY_SERVER, then the
// one saved at login, then the default.
func (cl *cli) serverURL() string {
	switch {
	case cl.server != "":
		return cl.server
	case cl.getenv("PARLEY_SERVER") != "":
		return cl.getenv("PARLEY_SERVER")
	case cl.st != nil && cl.st.Server != "":
		return cl.st.Server
	}
	return defaultServer
}

func (cl *cli) profileLabel() string {
	if cl.profile == "" {
		return "default"
	}
	return cl.profile
}

// connect loads the login and makes a client; it fails if the profile is
// not logged in.
func (cl *cli) connect() error {
	st, err := cl.loadState()
	if err != nil {
		return err
	}
	if st == nil || st.Token == "" {
		return fmt.Errorf("profile %q is not logged in; run: parley --profile %s login", cl.profileLabel(), cl.profileLabel())
	}
	cl.st = st
	cl.c = client.New(cl.serverURL(), client.WithToken(st.Token))
	return cl.setupE2EE()
}

// prompt asks for one line on stdin.
func (cl *cli) prompt(question string) (string, error) {
	fmt.Fprint(cl.errw, question)
	line, err := cl.in.ReadString('\n')
	line = strings.TrimSpace(line)
	if line == "" && err != nil {
		return "", fmt.Errorf("no answer to %q on standard input", strings.TrimSpace(question))
	}
	return line, nil
}

func (cl *cli) help(args []string) error {
	fmt.Fprint(cl.out, cliUsage)
	return nil
}

func (cl *cli) login(args []string) error {
	fs := cl.flagSet("login", "")
	phone := fs.String("phone", "", "your phone number, international form (+14155550123); asked if not given")
	code := fs.String("code", "", "the one-time code, if you already requested one; otherwise a code is requested and asked for")
	device := fs.String("device", "parley cli", "a name for this device")
	requestOnly := fs.Bool("request-only", false, "only request a code, to log in later with --code")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	old, err := cl.loadState()
	if err != nil {
		return err
	}
	if old != nil && old.Token != "" && !*requestOnly {
		return fmt.Errorf("profile %q is already logged in as %s; run %s first, or use another --profile", cl.profileLabel(), old.Phone, cl.hint("logout"))
	}
	if *phone == "" {
		if *phone, err = cl.prompt("Phone number (international, like +14155550123): "); err != nil {
			return err
		}
	}
	c := client.New(cl.serverURL())
	if *code == "" {
		if err := c.RequestCode(cl.ctx, *phone); err != nil {
			return fmt.Errorf("request a code: %w", err)
		}
		if *requestOnly {
			fmt.Fprintf(cl.out, "code sent to %s; then run: %s\n", *phone, cl.loginHint(*phone))
			return nil
		}
		fmt.Fprintf(cl.errw, "A code was sent to %s.\n", *phone)
		if *code, err = cl.prompt("Code: "); err != nil {
			return err
		}
	}
	s, err := c.Verify(cl.ctx, *phone, *code, *device, nil)
	if err != nil {
		return fmt.Errorf("verify the code: %w", err)
	}
	me, err := c.Me(cl.ctx)
	if err != nil {
		return fmt.Errorf("get your account: %w", err)
	}
	st := &state{Server: c.BaseURL(), Phone: me.Phone, AccountID: s.AccountID, DeviceID: s.DeviceID, Token: s.Token}
	if err := cl.saveState(st); err != nil {
		return err
	}
	// A new device: new end-to-end keys (an old file is another device's).
	if path, err := cl.e2eePath(); err == nil {
		_ = os.Remove(path)
	}
	cl.st, cl.c = st, c
	if err := cl.setupE2EE(); err != nil {
		return err
	}
	verb := "logged in"
	if s.NewAccount {
		verb = "welcome! created account"
	}
	fmt.Fprintf(cl.out, "%s as %s (acct %d, device %d), profile %q\n", verb, me.Phone, s.AccountID, s.DeviceID, cl.profileLabel())
	return nil
}

func (cl *cli) logout(args []string) error {
	if _, err := parse(cl.flagSet("logout", ""), args, 0, 0); err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	err := cl.c.RevokeDevice(cl.ctx, cl.st.DeviceID)
	if err != nil && client.ErrorCode(err) != string(parley.EUnauthenticated) {
		return fmt.Errorf("unlink this device: %w", err)
	}
	path, err := cl.statePath()
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("forget the login: %w", err)
	}
	if path, err := cl.e2eePath(); err == nil {
		_ = os.Remove(path)
	}
	cl.c = nil // nothing left to save
	fmt.Fprintf(cl.out, "logged out; device %d unlinked\n", cl.st.DeviceID)
	return nil
}

func (cl *cli) whoami(args []string) error {
	if _, err := parse(cl.flagSet("whoami", ""), args, 0, 0); err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	me, err := cl.c.Me(cl.ctx)
	if err != nil {
		return fmt.Errorf("whoami: %w", err)
	}
	fmt.Fprintf(cl.out, "%s (acct %d), device %d, profile %q on %s\n", me.Phone, me.ID, cl.st.DeviceID, cl.profileLabel(), cl.c.BaseURL())
	if me.DisplayName != "" {
		fmt.Fprintf(cl.out, "name: %s\n", me.DisplayName)
	}
	if me.About != "" {
		fmt.Fprintf(cl.out, "about: %s\n", me.About)
	}
	return nil
}

func (cl *cli) profileCmd(args []string) error {
	if len(args) > 0 && args[0] == "set" {
		fs := cl.flagSet("profile set", "")
		name := fs.String("name", "", "display name (at most 64 characters)")
		about := fs.String("about", "", "about text (at most 140 characters)")
		if _, err := parse(fs, args[1:], 0, 0); err != nil {
			return err
		}
		var u client.ProfileUpdate
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "name":
				u.DisplayName = name
			case "about":
				u.About = about
			}
		})
		if u.DisplayName == nil && u.About == nil {
			fs.Usage()
			return errors.New("profile set: give --name or --about")
		}
		if err := cl.connect(); err != nil {
			return err
		}
		me, err := cl.c.UpdateProfile(cl.ctx, u)
		if err != nil {
			return fmt.Errorf("update profile: %w", err)
		}
		fmt.Fprintf(cl.out, "name: %s\nabout: %s\n", me.DisplayName, me.About)
		return nil
	}
	rest, err := parse(cl.flagSet("profile", "[ACCOUNT] | set [--name N] [--about A]"), args, 0, 1)
	if err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	id := cl.st.AccountID
	if len(rest) == 1 {
		if id, err = cl.account(rest[0]); err != nil {
			return err
		}
	}
	p, err := cl.c.Profile(cl.ctx, id)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	fmt.Fprintf(cl.out, "acct %d\n", p.ID)
	if phone := cmp.Or(p.Phone, cl.st.Phones[p.ID]); phone != "" {
		fmt.Fprintf(cl.out, "phone: %s\n", phone)
	}
	fmt.Fprintf(cl.out, "name: %s\nabout: %s\n", p.DisplayName, p.About)
	if p.LastSeen != nil {
		fmt.Fprintf(cl.out, "last seen: %s\n", p.LastSeen.Local().Format(time.DateTime))
	}
	return nil
}

func (cl *cli) lookup(args []string) error {
	phones, err := parse(cl.flagSet("lookup", "+PHONE..."), args, 1, -1)
	if err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	found, err := cl.c.LookupContacts(cl.ctx, phones...)
	if err != nil {
		return fmt.Errorf("lookup: %w", err)
	}
	if err := cl.rememberPhones(found); err != nil {
		return err
	}
	byPhone := map[string]wire.Contact{}
	for _, c := range found {
		byPhone[c.Phone] = c
	}
	for _, ph := range phones {
		norm, _ := chat.NormalizePhone(ph)
		if c, ok := byPhone[norm]; ok {
			fmt.Fprintf(cl.out, "%s  acct %d  %s\n", norm, c.ID, c.DisplayName)
		} else {
			fmt.Fprintf(cl.out, "%s  not on Parley\n", cmp.Or(norm, ph))
		}
	}
	return nil
}

// rememberPhones saves the phones of looked-up accounts, to label them.
func (cl *cli) rememberPhones(cs []wire.Contact) error {
	if len(cs) == 0 {
		return nil
	}
	if cl.st.Phones == nil {
		cl.st.Phones = map[int64]string{}
	}
	for _, c := range cs {
		cl.st.Phones[c.ID] = c.Phone
	}
	return cl.saveState(cl.st)
}

// account resolves an account argument: an id, or a +phone to look up.
func (cl *cli) account(arg string) (int64, error) {
	if strings.HasPrefix(arg, "+") {
		cs, err := cl.c.LookupContacts(cl.ctx, arg)
		if err != nil {
			return 0, fmt.Errorf("look up %s: %w", arg, err)
		}
		if len(cs) == 0 {
			return 0, fmt.Errorf("%s is not on Parley", arg)
		}
		if err := cl.rememberPhones(cs); err != nil {
			return 0, err
		}
		return cs[0].ID, nil
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not an account id or a +phone number", arg)
	}
	return id, nil
}

func (cl *cli) accounts(args []string) ([]int64, error) {
	ids := make([]int64, 0, len(args))
	for _, a := range args {
		id, err := cl.account(a)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func chatArg(arg string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(arg, "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not a chat id (see parley chats)", arg)
	}
	return id, nil
}

// label names an account for people: its name, else its phone, with its id.
func (cl *cli) label(id int64) string {
	if id == 0 {
		return "server"
	}
	if id == cl.st.AccountID {
		return fmt.Sprintf("you(acct %d)", id)
	}
	if l, ok := cl.names[id]; ok {
		return l
	}
	name := cl.st.Phones[id]
	if p, err := cl.c.Profile(cl.ctx, id); err == nil && p.DisplayName != "" {
		name = p.DisplayName
	}
	l := fmt.Sprintf("acct %d", id)
	if name != "" {
		l = fmt.Sprintf("%s(acct %d)", name, id)
	}
	cl.names[id] = l
	return l
}

func (cl *cli) labels(ids []int64) string {
	ls := make([]string, len(ids))
	for i, id := range ids {
		ls[i] = cl.label(id)
	}
	return strings.Join(ls, ", ")
}

func (cl *cli) devices(args []string) error {
	if len(args) > 0 && args[0] == "approve" {
		return cl.approveDevice(args[1:])
	}
	if len(args) > 0 && args[0] == "revoke" {
		rest, err := parse(cl.flagSet("devices revoke", "DEVICE"), args[1:], 1, 1)
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a device id", rest[0])
		}
		if err := cl.connect(); err != nil {
			return err
		}
		if err := cl.c.RevokeDevice(cl.ctx, id); err != nil {
			return fmt.Errorf("unlink device %d: %w", id, err)
		}
		if err := cl.c.UnlistDevice(cl.ctx, id); err != nil {
			return fmt.Errorf("remove device %d from your signed device list: %w", id, err)
		}
		fmt.Fprintf(cl.out, "device %d unlinked\n", id)
		return nil
	}
	if _, err := parse(cl.flagSet("devices", "| devices revoke DEVICE"), args, 0, 0); err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	ds, err := cl.c.Devices(cl.ctx)
	if err != nil {
		return fmt.Errorf("devices: %w", err)
	}
	tw := tabwriter.NewWriter(cl.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tNAME\tLINKED\tLAST ACTIVE\t")
	for _, d := range ds {
		cur := ""
		if d.Current {
			cur = "(this device)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", d.ID, d.Name, d.CreatedAt.Local().Format(time.DateTime), d.LastActiveAt.Local().Format(time.DateTime), cur)
	}
	return tw.Flush()
}

func (cl *cli) block(args []string) error {
	rest, err := parse(cl.flagSet("block", "[ACCOUNT]"), args, 0, 1)
	if err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	if len(rest) == 0 {
		ids, err := cl.c.Blocked(cl.ctx)
		if err != nil {
			return fmt.Errorf("list blocked: %w", err)
		}
		if len(ids) == 0 {
			fmt.Fprintln(cl.out, "you have blocked no one")
		}
		for _, id := range ids {
			fmt.Fprintf(cl.out, "blocked: %s\n", cl.label(id))
		}
		return nil
	}
	id, err := cl.account(rest[0])
	if err != nil {
		return err
	}
	if err := cl.c.Block(cl.ctx, id); err != nil {
		return fmt.Errorf("block: %w", err)
	}
	fmt.Fprintf(cl.out, "blocked %s\n", cl.label(id))
	return nil
}

func (cl *cli) unblock(args []string) error {
	rest, err := parse(cl.flagSet("unblock", "ACCOUNT"), args, 1, 1)
	if err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	id, err := cl.account(rest[0])
	if err != nil {
		return err
	}
	if err := cl.c.Unblock(cl.ctx, id); err != nil {
		return fmt.Errorf("unblock: %w", err)
	}
	fmt.Fprintf(cl.out, "unblocked %s\n", cl.label(id))
	return nil
}

// chatName describes a chat: a group's subject, or the other person.
func (cl *cli) chatName(c wire.ChatView) string {
	if c.Kind == chat.ChatGroup {
		return fmt.Sprintf("%q (%d members)", c.Subject, len(c.Members))
	}
	for _, m := range c.Members {
		if m.AccountID != cl.st.AccountID {
			return "with " + cl.label(m.AccountID)
		}
	}
	return "with no one"
}

func (cl *cli) chats(args []string) error {
	if _, err := parse(cl.flagSet("chats", ""), args, 0, 0); err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	cs, err := cl.c.Chats(cl.ctx)
	if err != nil {
		return fmt.Errorf("chats: %w", err)
	}
	if len(cs) == 0 {
		fmt.Fprintln(cl.out, "no chats yet; try: parley chat open +PHONE")
		return nil
	}
	tw := tabwriter.NewWriter(cl.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHAT\tKIND\tNAME\tLAST")
	for _, c := range cs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t#%d\n", c.ID, c.Kind, cl.chatName(c), c.LastSeq)
	}
	return tw.Flush()
}

func (cl *cli) chat(args []string) error {
	if len(args) == 0 || (args[0] != "open" && args[0] != "info") {
		fmt.Fprintln(cl.errw, "usage: parley chat open ACCOUNT | parley chat info CHAT")
		return errors.New("chat: say open or info")
	}
	sub := args[0]
	rest, err := parse(cl.flagSet("chat "+sub, "ARG"), args[1:], 1, 1)
	if err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	var c wire.ChatView
	if sub == "open" {
		peer, err := cl.account(rest[0])
		if err != nil {
			return err
		}
		if c, err = cl.c.OpenDirect(cl.ctx, peer); err != nil {
			return fmt.Errorf("open chat: %w", err)
		}
		fmt.Fprintf(cl.out, "chat %d: direct %s\n", c.ID, cl.chatName(c))
		return nil
	}
	id, err := chatArg(rest[0])
	if err != nil {
		return err
	}
	if c, err = cl.c.Chat(cl.ctx, id); err != nil {
		return fmt.Errorf("chat %d: %w", id, err)
	}
	fmt.Fprintf(cl.out, "chat %d: %s %s, last #%d\n", c.ID, c.Kind, cl.chatName(c), c.LastSeq)
	if c.OnlyAdminsSend {
		fmt.Fprintln(cl.out, "only admins may send")
	}
	if c.DisappearAfterSeconds > 0 {
		fmt.Fprintf(cl.out, "messages disappear after %s\n", time.Duration(c.DisappearAfterSeconds)*time.Second)
	}
	for _, m := range c.Members {
		fmt.Fprintf(cl.out, "  %s %s\n", cl.label(m.AccountID), m.Role)
	}
	if c.Kind == chat.ChatDirect {
		for _, m := range c.Members {
			if b := cl.businessOf(m.AccountID); b != nil {
				fmt.Fprintln(cl.out, hostedNotice(*b))
			}
		}
	}
	return nil
}

// businessOf returns the business profile of an account, nil for a
// person (or when it cannot be told).
func (cl *cli) businessOf(id int64) *wire.PublicBusiness {
	if id == cl.st.AccountID || id == 0 {
		return nil
	}
	if b, ok := cl.biz[id]; ok {
		return b
	}
	var out *wire.PublicBusiness
	if b, err := cl.c.Business(cl.ctx, id); err == nil {
		out = &b
	}
	cl.biz[id] = out
	return out
}

// hostedNotice says who reads messages to a business: its end runs on
// its hosting provider, which holds its end-to-end keys (docs/E2EE.md).
func hostedNotice(b wire.PublicBusiness) string {
	return fmt.Sprintf("%s is a business: messages to this business are handled by %s on its behalf", b.Name, cmp.Or(b.HostedBy, "its hosting provider"))
}

func (cl *cli) group(args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(cl.errw, "usage: parley group create|add|remove|leave ...")
		return errors.New("group: say create, add, remove or leave")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "create":
		fs := cl.flagSet("group create", "+PHONE|ACCOUNT...")
		subject := fs.String("subject", "", "the group's subject (required)")
		rest, err := parse(fs, args, 0, -1)
		if err != nil {
			return err
		}
		if *subject == "" {
			fs.Usage()
			return errors.New("group create: --subject is required")
		}
		if err := cl.connect(); err != nil {
			return err
		}
		ids, err := cl.accounts(rest)
		if err != nil {
			return err
		}
		c, err := cl.c.CreateGroup(cl.ctx, *subject, ids...)
		if err != nil {
			return fmt.Errorf("create group: %w", err)
		}
		fmt.Fprintf(cl.out, "chat %d: group %s created\n", c.ID, cl.chatName(c))
		return nil
	case "add", "remove":
		rest, err := parse(cl.flagSet("group "+sub, "CHAT ACCOUNT..."), args, 2, -1)
		if err != nil {
			return err
		}
		chat, err := chatArg(rest[0])
		if err != nil {
			return err
		}
		if err := cl.connect(); err != nil {
			return err
		}
		ids, err := cl.accounts(rest[1:])
		if err != nil {
			return err
		}
		if sub == "add" {
			if _, err := cl.c.AddMembers(cl.ctx, chat, ids...); err != nil {
				return fmt.Errorf("add members: %w", err)
			}
			fmt.Fprintf(cl.out, "added %s to chat %d\n", cl.labels(ids), chat)
			return nil
		}
		for _, id := range ids {
			if err := cl.c.RemoveMember(cl.ctx, chat, id); err != nil {
				return fmt.Errorf("remove %s: %w", cl.label(id), err)
			}
			fmt.Fprintf(cl.out, "removed %s from chat %d\n", cl.label(id), chat)
		}
		return nil
	case "leave":
		rest, err := parse(cl.flagSet("group leave", "CHAT"), args, 1, 1)
		if err != nil {
			return err
		}
		chat, err := chatArg(rest[0])
		if err != nil {
			return err
		}
		if err := cl.connect(); err != nil {
			return err
		}
		if err := cl.c.RemoveMember(cl.ctx, chat, cl.st.AccountID); err != nil {
			return fmt.Errorf("leave: %w", err)
		}
		fmt.Fprintf(cl.out, "you left chat %d\n", chat)
		return nil
	}
	return fmt.Errorf("group: unknown subcommand %q; say create, add, remove or leave", sub)
}

// sendCmd is the shape of send, reply, react, edit and delete: a chat, then
// nargs fixed arguments (the target message), then text if withText.
func (cl *cli) sendCmd(name, argsUsage string, args []string, nargs int, withText bool,
	build func(fixed []string, text string) (kind chat.MessageKind, ref string, body client.Body)) error {
	fs := cl.flagSet(name, argsUsage)
	id := fs.String("id", "", "message id (default: random); resending an id is harmless")
	max := 1 + nargs
	if withText {
		max = -1
	}
	min := 1 + nargs
	if withText {
		min++
	}
	rest, err := parse(fs, args, min, max)
	if err != nil {
		return err
	}
	chat, err := chatArg(rest[0])
	if err != nil {
		return err
	}
	text := strings.Join(rest[1+nargs:], " ")
	if withText && strings.TrimSpace(text) == "" {
		return fmt.Errorf("%s: the text is empty", name)
	}
	if err := cl.connect(); err != nil {
		return err
	}
	if *id == "" {
		*id = client.NewMessageID()
	}
	kind, ref, body := build(rest[1:1+nargs], text)
	res, err := cl.c.SendBody(cl.ctx, chat, *id, kind, ref, body)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if res.Duplicate {
		fmt.Fprintf(cl.out, "already sent to chat %d as #%d (id %s)\n", chat, res.Seq, res.MessageID)
		return nil
	}
	fmt.Fprintf(cl.out, "sent to chat %d as #%d (id %s)\n", chat, res.Seq, res.MessageID)
	if kind == wire.KindMessage {
		cl.remember(wire.Entry{ChatID: chat, MessageID: res.MessageID, SenderAccount: cl.st.AccountID, CreatedAt: time.Now()},
			fmt.Sprintf("[chat %d #%d] you: %s  (id %s)", chat, res.Seq, body.Text, res.MessageID))
	}
	return nil
}

func (cl *cli) send(args []string) error {
	return cl.sendCmd("send", "CHAT TEXT...", args, 0, true, func(_ []string, text string) (chat.MessageKind, string, client.Body) {
		return chat.KindMessage, "", client.Body{Text: text}
	})
}

func (cl *cli) reply(args []string) error {
	return cl.sendCmd("reply", "CHAT MESSAGE TEXT...", args, 1, true, func(f []string, text string) (chat.MessageKind, string, client.Body) {
		return chat.KindMessage, "", client.Body{Text: text, ReplyTo: f[0]}
	})
}

func (cl *cli) react(args []string) error {
	return cl.sendCmd("react", "CHAT MESSAGE EMOJI", args, 2, false, func(f []string, _ string) (chat.MessageKind, string, client.Body) {
		return chat.KindReaction, f[0], client.Body{Emoji: f[1]}
	})
}

func (cl *cli) edit(args []string) error {
	return cl.sendCmd("edit", "CHAT MESSAGE TEXT...", args, 1, true, func(f []string, text string) (chat.MessageKind, string, client.Body) {
		return chat.KindEdit, f[0], client.Body{Text: text}
	})
}

func (cl *cli) deleteMsg(args []string) error {
	return cl.sendCmd("delete", "CHAT MESSAGE", args, 1, false, func(f []string, _ string) (chat.MessageKind, string, client.Body) {
		return chat.KindDelete, f[0], client.Body{}
	})
}

func (cl *cli) read(args []string) error {
	rest, err := parse(cl.flagSet("read", "CHAT MESSAGE..."), args, 2, -1)
	if err != nil {
		return err
	}
	chat, err := chatArg(rest[0])
	if err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	if err := cl.c.MarkRead(cl.ctx, chat, rest[1:]...); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	fmt.Fprintf(cl.out, "marked %d message(s) read in chat %d\n", len(rest)-1, chat)
	return nil
}

func (cl *cli) inbox(args []string) error {
	if _, err := parse(cl.flagSet("inbox", ""), args, 0, 0); err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	var ids []int64
	after := int64(0)
	for {
		es, err := cl.c.Pending(cl.ctx, after, 1000)
		if err != nil {
			return fmt.Errorf("inbox: %w", err)
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			if line := cl.describe(e); line != "" {
				fmt.Fprintln(cl.out, line)
			}
			ids = append(ids, e.ID)
			after = e.ID
		}
	}
	if err := cl.saveE2EE(); err != nil {
		return err
	}
	if err := cl.c.ReplenishKeys(cl.ctx); err != nil {
		return err
	}
	if len(ids) == 0 {
		fmt.Fprintln(cl.out, "nothing new")
		return nil
	}
	if err := cl.c.Ack(cl.ctx, ids...); err != nil {
		return fmt.Errorf("acknowledge: %w", err)
	}
	return nil
}

func (cl *cli) listen(args []string) error {
	fs := cl.flagSet("listen", "")
	count := fs.Int("count", 0, "stop after this many messages, receipts and events (0: until interrupted)")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	// Watch the presence of everyone we have a 1:1 chat with.
	cs, err := cl.c.Chats(cl.ctx)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var peers []int64
	for _, c := range cs {
		if c.Kind != chat.ChatDirect {
			continue
		}
		for _, m := range c.Members {
			if m.AccountID != cl.st.AccountID && !slices.Contains(peers, m.AccountID) {
				peers = append(peers, m.AccountID)
			}
		}
	}
	fmt.Fprintf(cl.errw, "listening as %s (acct %d); press ctrl-c to stop\n", cl.st.Phone, cl.st.AccountID)
	n := 0
	err = cl.c.Stream(cl.ctx, 0, func(ev wire.Event) error {
		line := cl.describeEvent(ev)
		if line != "" {
			fmt.Fprintln(cl.out, line)
		}
		if ev.Type == wire.EventEntry {
			// The sessions moved on: keep them before the entry is acked.
			if err := cl.afterE2EE(false); err != nil {
				return err
			}
			if n++; *count > 0 && n >= *count {
				return client.ErrStop
			}
		}
		return nil
	}, client.StreamWatchPresence(peers...))
	switch {
	case errors.Is(err, context.Canceled):
		return nil
	case errors.Is(err, client.ErrRevoked):
		return errors.New("this device was unlinked; log in again")
	case errors.Is(err, client.ErrReplaced):
		return fmt.Errorf("another parley listen (or app) is connected as this device; use another --profile for a second person")
	case err != nil:
		return fmt.Errorf("listen: %w", err)
	}
	return nil
}

// describeEvent renders a WebSocket event for people, or "" to print
// nothing.
func (cl *cli) describeEvent(ev wire.Event) string {
	switch ev.Type {
	case wire.EventEntry:
		if ev.Entry != nil {
			return cl.describe(*ev.Entry)
		}
	case wire.EventTyping:
		if ev.State == client.TypingComposing {
			return fmt.Sprintf("[chat %d] %s is typing...", ev.ChatID, cl.label(ev.AccountID))
		}
		return fmt.Sprintf("[chat %d] %s stopped typing", ev.ChatID, cl.label(ev.AccountID))
	case wire.EventPresence:
		if ev.State == "online" {
			return fmt.Sprintf("%s is online", cl.label(ev.AccountID))
		}
		if ev.LastSeen != nil {
			return fmt.Sprintf("%s went offline (last seen %s)", cl.label(ev.AccountID), ev.LastSeen.Local().Format(time.TimeOnly))
		}
		return fmt.Sprintf("%s went offline", cl.label(ev.AccountID))
	case wire.EventReady:
		fmt.Fprintf(cl.errw, "-- %d waiting, now live --\n", ev.Pending)
	case wire.EventReconnect:
		fmt.Fprintln(cl.errw, "-- the server is restarting; reconnecting --")
	case wire.EventError:
		if ev.Error != nil {
			fmt.Fprintf(cl.errw, "server: %s: %s\n", ev.Error.Code, ev.Error.Message)
		}
	case wire.EventRevoked:
		fmt.Fprintln(cl.errw, "-- this device was unlinked --")
	}
	return ""
}

// describe renders an inbox entry as one line for people.
func (cl *cli) describe(e wire.Entry) string {
	at := fmt.Sprintf("[chat %d #%d]", e.ChatID, e.Seq)
	switch e.Type {
	case chat.EntryReceipt:
		r, err := client.DecodeReceipt(e)
		if err != nil {
			return fmt.Sprintf("[chat %d] an unreadable receipt", e.ChatID)
		}
		ids := strings.Join(r.MessageIDs, ", ")
		if r.Status == "expired" {
			return fmt.Sprintf("[chat %d] %s expired before device %d received it", e.ChatID, ids, r.DeviceID)
		}
		return fmt.Sprintf("[chat %d] %s: %s %s", e.ChatID, r.Status, cl.label(r.AccountID), ids)
	case chat.EntryHistory:
		return cl.describeHistory(e)
	case chat.EntryEvent:
		ev, err := client.DecodeChatEvent(e)
		if err != nil {
			return "an unreadable account event"
		}
		if ev.Event == "device_linked" {
			line := fmt.Sprintf("a new device was linked to your account: %q (device %d)", ev.DeviceName, ev.DeviceID)
			if cl.c.E2EE() != nil && cl.c.E2EE().HoldsSigningKey() {
				line += fmt.Sprintf("; if it is yours, run: parley devices approve %d (if not: parley devices revoke %d)", ev.DeviceID, ev.DeviceID)
			}
			return line
		}
		return "account event: " + ev.Event
	}
	if e.Kind == chat.KindSystem {
		ev, err := client.DecodeChatEvent(e)
		if err != nil {
			return at + " an unreadable chat event"
		}
		return at + " " + cl.describeChatEvent(ev)
	}
	b, err := cl.c.OpenBody(cl.ctx, e)
	return cl.describeOpened(e, b, err)
}

// describeOpened renders a message entry that OpenBody opened into b (or
// failed to, err). The first message of a run from a business says who
// handles its messages, as the web app's chat header does.
func (cl *cli) describeOpened(e wire.Entry, b client.Body, err error) string {
	line := cl.describeMessage(e, fmt.Sprintf("[chat %d #%d]", e.ChatID, e.Seq), cl.label(e.SenderAccount), b, err)
	if biz := cl.businessOf(e.SenderAccount); line != "" && biz != nil && !cl.noted[e.SenderAccount] {
		cl.noted[e.SenderAccount] = true
		line = fmt.Sprintf("[chat %d] %s\n%s", e.ChatID, hostedNotice(*biz), line)
	}
	return line
}

func (cl *cli) describeMessage(e wire.Entry, at, who string, b client.Body, err error) string {
	if errors.Is(err, e2ee.ErrReplay) {
		return "" // a copy of a message already shown
	}
	if err != nil {
		return fmt.Sprintf("%s %s: <a message this device cannot read: %v>  (id %s)", at, who, err, e.MessageID)
	}
	switch e.Kind {
	case chat.KindEdit:
		return fmt.Sprintf("%s %s edited %s: %s", at, who, e.Ref, b.Text)
	case chat.KindDelete:
		return fmt.Sprintf("%s %s deleted %s", at, who, e.Ref)
	case chat.KindReaction:
		if b.Emoji == "" {
			return fmt.Sprintf("%s %s removed their reaction to %s", at, who, e.Ref)
		}
		return fmt.Sprintf("%s %s reacted %s to %s", at, who, b.Emoji, e.Ref)
	}
	text := b.Text
	if o := describeOrder(e.ChatID, b); o != "" {
		text = o
	}
	if b.Interactive != nil && b.Interactive.Type == "flow" {
		text += fmt.Sprintf("; open it with: parley flow %d %s", e.ChatID, e.MessageID)
	}
	if b.MediaID != "" {
		text = strings.TrimSpace(fmt.Sprintf("[%s %s] %s", cmp.Or(b.MediaType, "media"), b.MediaID, text))
	}
	if b.Forwarded {
		text = "(forwarded) " + text
	}
	if b.ReplyTo != "" {
		text = fmt.Sprintf("(reply to %s) %s", b.ReplyTo, text)
	}
	line := fmt.Sprintf("%s %s: %s  (id %s)", at, who, text, e.MessageID)
	cl.remember(e, line)
	return line
}

func (cl *cli) describeChatEvent(ev wire.ChatEventBody) string {
	who := cl.label(ev.Actor)
	switch ev.Event {
	case "group_created":
		return fmt.Sprintf("%s created the group %q", who, ev.Subject)
	case "members_added":
		return fmt.Sprintf("%s added %s", who, cl.labels(ev.Accounts))
	case "member_removed":
		return fmt.Sprintf("%s removed %s", who, cl.labels(ev.Accounts))
	case "member_left":
		return fmt.Sprintf("%s left", who)
	case "subject_changed":
		return fmt.Sprintf("%s changed the subject to %q", who, ev.Subject)
	case "settings_changed":
		if ev.OnlyAdminsSend != nil && *ev.OnlyAdminsSend {
			return fmt.Sprintf("%s made the group admins-only", who)
		}
		return fmt.Sprintf("%s let everyone send", who)
	case "role_changed":
		return fmt.Sprintf("%s is now %s", cl.labels(ev.Accounts), ev.Role)
	case "disappearing_changed":
		if ev.DisappearAfter == nil || *ev.DisappearAfter == 0 {
			return fmt.Sprintf("%s turned disappearing messages off", who)
		}
		return fmt.Sprintf("%s set messages to disappear after %s", who, time.Duration(*ev.DisappearAfter)*time.Second)
	}
	return fmt.Sprintf("%s: %s", who, ev.Event)
}
