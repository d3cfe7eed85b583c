package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/wire"
)

// shellQuote quotes s for a POSIX shell, so that a hint can be pasted.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-_./@:=") == "" && !strings.HasPrefix(s, "+") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// hint is a command to suggest: parley with this invocation's --profile
// (and --server), then args, each quoted for a shell where needed.
func (cl *cli) hint(args ...string) string {
	var b strings.Builder
	b.WriteString("parley")
	if cl.profile != "" {
		b.WriteString(" --profile " + shellQuote(cl.profile))
	}
	if cl.server != "" {
		b.WriteString(" --server " + shellQuote(cl.server))
	}
	for _, a := range args {
		b.WriteString(" " + shellQuote(a))
	}
	return b.String()
}

// loginHint is the command that finishes a login begun with
// --request-only.
func (cl *cli) loginHint(phone string) string {
	return cl.hint("login", "--phone", phone, "--code", "CODE")
}

// channelArg resolves a channel argument: a channel id, or @handle looked
// up among the channels you follow or administer, then in the directory.
func (cl *cli) channelArg(cmd, arg string) (int64, error) {
	handle, ok := strings.CutPrefix(arg, "@")
	if !ok {
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("channel %s: %q is not a channel number or @handle", cmd, arg)
		}
		return n, nil
	}
	find := func(cs []wire.ChannelView) int64 {
		for _, c := range cs {
			if strings.EqualFold(c.Handle, handle) {
				return c.ID
			}
		}
		return 0
	}
	if cs, err := cl.c.FollowedChannels(cl.ctx); err == nil {
		if id := find(cs); id != 0 {
			return id, nil
		}
	}
	if cs, err := cl.c.AdminChannels(cl.ctx); err == nil {
		if id := find(cs); id != 0 {
			return id, nil
		}
	}
	cs, err := cl.c.Directory(cl.ctx, client.DirectoryQuery{Q: handle, Limit: 50})
	if err != nil {
		return 0, fmt.Errorf("channel %s: look up @%s: %w", cmd, handle, err)
	}
	if id := find(cs); id != 0 {
		return id, nil
	}
	return 0, fmt.Errorf("channel %s: no channel @%s", cmd, handle)
}

// plural returns "1 follower" or "2 followers".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}
