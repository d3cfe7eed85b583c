package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/wire"
)

const channelUsage = `usage: parley channel SUBCOMMAND ...
  channel create [--category C] [--country CC] [--language L] HANDLE NAME...
  channel list                       the channels you follow, with unread counts
  channel find [--sort popular|growth|new] [QUERY]
  (CHANNEL is a channel number or its @handle; poll options count from 1)
  channel info CHANNEL
  channel follow CHANNEL             (an approval-only channel files a request)
  channel unfollow CHANNEL
  channel post CHANNEL TEXT...       (admins)
  channel poll [--multiple] CHANNEL QUESTION OPTION OPTION...   (admins)
  channel timeline [--limit N] CHANNEL
  channel vote CHANNEL POST OPTION...
  channel react CHANNEL POST EMOJI
`

// channelCmd runs `parley channel ...`.
func (cl *cli) channelCmd(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(cl.errw, channelUsage)
		return errors.New("channel: name a subcommand")
	}
	sub, args := args[0], args[1:]
	id := func(s string) (int64, error) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("channel %s: %q is not a post number", sub, s)
		}
		return n, nil
	}
	switch sub {
	case "create":
		fs := cl.flagSet("channel create", "HANDLE NAME...")
		category := fs.String("category", "other", "directory category")
		country := fs.String("country", "", "two-letter country code")
		language := fs.String("language", "", "language code")
		rest, err := parse(fs, args, 2, -1)
		if err != nil {
			return err
		}
		if err := cl.connect(); err != nil {
			return err
		}
		c, err := cl.c.CreateChannel(cl.ctx, wire.ChannelInput{Handle: rest[0], Name: strings.Join(rest[1:], " "),
			Category: *category, Country: *country, Language: *language})
		if err != nil {
			return fmt.Errorf("create channel: %w", err)
		}
		fmt.Fprintf(cl.out, "channel %d: @%s %q created; invite code %s\n", c.ID, c.Handle, c.Name, c.InviteCode)
		return nil
	case "list", "find":
		fs := cl.flagSet("channel "+sub, "[QUERY]")
		sort := fs.String("sort", "", "popular, growth or new (find)")
		rest, err := parse(fs, args, 0, 1)
		if err != nil {
			return err
		}
		if err := cl.connect(); err != nil {
			return err
		}
		var cs []wire.ChannelView
		if sub == "list" {
			cs, err = cl.c.FollowedChannels(cl.ctx)
		} else {
			q := client.DirectoryQuery{Sort: *sort}
			if len(rest) == 1 {
				q.Q = rest[0]
			}
			cs, err = cl.c.Directory(cl.ctx, q)
		}
		if err != nil {
			return fmt.Errorf("channel %s: %w", sub, err)
		}
		tw := tabwriter.NewWriter(cl.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CHANNEL\tHANDLE\tNAME\tFOLLOWERS\tUNREAD\t")
		for _, c := range cs {
			mark := ""
			if c.Verified {
				mark += " ✓"
			}
			if c.Promoted {
				mark += " (promoted)"
			}
			fmt.Fprintf(tw, "%d\t@%s\t%s%s\t%d\t%d\t\n", c.ID, c.Handle, c.Name, mark, c.Followers, c.Unread)
		}
		return tw.Flush()
	case "info", "follow", "unfollow":
		rest, err := parse(cl.flagSet("channel "+sub, "CHANNEL"), args, 1, 1)
		if err != nil {
			return err
		}
		if err := cl.connect(); err != nil {
			return err
		}
		ch, err := cl.channelArg(sub, rest[0])
		if err != nil {
			return err
		}
		switch sub {
		case "follow":
			r, err := cl.c.Follow(cl.ctx, ch)
			if err != nil {
				return fmt.Errorf("follow: %w", err)
			}
			fmt.Fprintf(cl.out, "channel %d: %s\n", ch, r.Status)
			return nil
		case "unfollow":
			if err := cl.c.Unfollow(cl.ctx, ch); err != nil {
				return fmt.Errorf("unfollow: %w", err)
			}
			fmt.Fprintf(cl.out, "channel %d: unfollowed\n", ch)
			return nil
		}
		c, err := cl.c.Channel(cl.ctx, ch)
		if err != nil {
			return fmt.Errorf("channel info: %w", err)
		}
		fmt.Fprintf(cl.out, "channel %d: @%s %q, %s, last post #%d\n", c.ID, c.Handle, c.Name, plural(c.Followers, "follower", "followers"), c.LastSeq)
		if c.Suspended {
			fmt.Fprintf(cl.out, "suspended: %s\n", c.SuspendReason)
		}
		if c.Role != "" {
			fmt.Fprintf(cl.out, "you are its %s; invite code %s\n", c.Role, c.InviteCode)
		}
		fmt.Fprintln(cl.out, "channels are public broadcasts: posts are not end-to-end encrypted")
		return nil
	case "post", "poll":
		fs := cl.flagSet("channel "+sub, "CHANNEL TEXT...")
		multiple := fs.Bool("multiple", false, "poll: several options may be chosen")
		min := 2
		if sub == "poll" {
			min = 4
		}
		rest, err := parse(fs, args, min, -1)
		if err != nil {
			return err
		}
		if err := cl.connect(); err != nil {
			return err
		}
		ch, err := cl.channelArg(sub, rest[0])
		if err != nil {
			return err
		}
		in := wire.PostInput{Kind: channel.PostText, Text: strings.Join(rest[1:], " ")}
		if sub == "poll" {
			in = wire.PostInput{Kind: channel.PostPoll, Text: rest[1], Poll: &wire.Poll{Options: rest[2:], Multiple: *multiple}}
		}
		p, err := cl.c.Post(cl.ctx, ch, in)
		if err != nil {
			return fmt.Errorf("post: %w", err)
		}
		fmt.Fprintf(cl.out, "channel %d: posted #%d\n", ch, p.Seq)
		return nil
	case "timeline":
		fs := cl.flagSet("channel timeline", "CHANNEL")
		limit := fs.Int("limit", 20, "posts to show, newest first")
		rest, err := parse(fs, args, 1, 1)
		if err != nil {
			return err
		}
		if err := cl.connect(); err != nil {
			return err
		}
		ch, err := cl.channelArg(sub, rest[0])
		if err != nil {
			return err
		}
		page, err := cl.c.Timeline(cl.ctx, ch, 0, *limit)
		if err != nil {
			return fmt.Errorf("timeline: %w", err)
		}
		for _, p := range page.Posts {
			fmt.Fprintln(cl.out, formatPost(p))
		}
		return nil
	case "vote", "react":
		rest, err := parse(cl.flagSet("channel "+sub, "CHANNEL POST ARG..."), args, 3, -1)
		if err != nil {
			return err
		}
		seq, err := id(rest[1])
		if err != nil {
			return err
		}
		if err := cl.connect(); err != nil {
			return err
		}
		ch, err := cl.channelArg(sub, rest[0])
		if err != nil {
			return err
		}
		if sub == "react" {
			if err := cl.c.ReactToPost(cl.ctx, ch, seq, rest[2]); err != nil {
				return fmt.Errorf("react: %w", err)
			}
			fmt.Fprintf(cl.out, "reacted %s to #%d\n", rest[2], seq)
			return nil
		}
		var opts []int
		for _, o := range rest[2:] {
			// Options count from 1, as formatPost prints them; the API's from 0.
			n, err := strconv.Atoi(o)
			if err != nil || n < 1 {
				return fmt.Errorf("vote: %q is not an option number (1, 2, ...)", o)
			}
			opts = append(opts, n-1)
		}
		p, err := cl.c.Vote(cl.ctx, ch, seq, opts...)
		if err != nil {
			return fmt.Errorf("vote: %w", err)
		}
		fmt.Fprintln(cl.out, formatPost(p))
		return nil
	}
	fmt.Fprint(cl.errw, channelUsage)
	return fmt.Errorf("channel: unknown subcommand %q", sub)
}

// formatPost renders a post on one line (polls with their counts).
func formatPost(p wire.PostView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[#%d] ", p.Seq)
	switch {
	case p.Locked:
		b.WriteString("(for subscribers)")
	case p.Poll != nil:
		fmt.Fprintf(&b, "poll: %s", p.Text)
		for i, o := range p.Poll.Options {
			fmt.Fprintf(&b, " | %d %s: %d", i+1, o, p.Poll.Votes[i])
		}
	case p.Kind == channel.PostLink:
		fmt.Fprintf(&b, "%s %s", p.Text, p.Link)
	case p.Kind == channel.PostMedia:
		fmt.Fprintf(&b, "[media %s] %s", p.MediaID, p.Text)
	default:
		b.WriteString(p.Text)
	}
	for e, n := range p.Reactions {
		fmt.Fprintf(&b, "  %s %d", e, n)
	}
	return b.String()
}
