package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/parleyhq/parley/wire"
)

// Channel fan-out. A post is published once on parley.channel.<id>; every
// gateway keeps an index from channel to the local sessions of online
// followers, so a post costs O(online followers here), never a lookup of
// all followers. The index is filled when a session connects (the
// account's followed channels) and kept current by channel_follow events
// on the account's subject.
//
// Lock order: Gateway.chmu is taken alone (never with Gateway.mu or
// session.mu held), and not held while pushing.

// loadChannels indexes s under the channels its account follows.
func (g *Gateway) loadChannels(ctx context.Context, s *session) {
	if g.opts.Channels == nil {
		return
	}
	// Not a child of the session's context: a child, even cancelled, leaves
	// its parent a map and a channel for the session's life (about 0.4 KiB
	// per idle socket, docs/PERFORMANCE.md); the timeout bounds it anyway.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	ids, err := g.opts.Channels.FollowedChannelIDs(ctx, s.p)
	if err != nil {
		g.log.Warn("load followed channels", "account", s.p.AccountID, "err", err)
		return
	}
	g.chmu.Lock()
	defer g.chmu.Unlock()
	for _, id := range ids {
		g.indexChannel(s, id)
	}
}

// indexChannel adds s under channel id. g.chmu must be held.
func (g *Gateway) indexChannel(s *session, id int64) {
	if g.chans == nil {
		g.chans = map[int64]map[*session]struct{}{}
	}
	set := g.chans[id]
	if set == nil {
		set = map[*session]struct{}{}
		g.chans[id] = set
	}
	if _, ok := set[s]; !ok {
		set[s] = struct{}{}
		s.channels = append(s.channels, id)
	}
}

// unindexChannel removes s from channel id. g.chmu must be held.
func (g *Gateway) unindexChannel(s *session, id int64) {
	if set := g.chans[id]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(g.chans, id)
		}
	}
	for i, c := range s.channels {
		if c == id {
			s.channels = append(s.channels[:i], s.channels[i+1:]...)
			break
		}
	}
}

// dropChannels removes s from the index when it disconnects.
func (g *Gateway) dropChannels(s *session) {
	g.chmu.Lock()
	defer g.chmu.Unlock()
	for _, id := range append([]int64(nil), s.channels...) {
		g.unindexChannel(s, id)
	}
}

// onChannelFollow updates the index for an account's follow or unfollow,
// on every local session of that account.
func (g *Gateway) onChannelFollow(accountID int64, data []byte) {
	if !bytes.HasPrefix(data, []byte(`{"type":"channel_follow"`)) {
		return
	}
	var ev wire.Event
	if json.Unmarshal(data, &ev) != nil || ev.ChannelID == 0 {
		return
	}
	g.mu.Lock()
	var targets []*session
	for s := range g.accounts[accountID] {
		targets = append(targets, s)
	}
	g.mu.Unlock()
	g.chmu.Lock()
	defer g.chmu.Unlock()
	for _, s := range targets {
		if ev.State == "followed" {
			g.indexChannel(s, ev.ChannelID)
		} else {
			g.unindexChannel(s, ev.ChannelID)
		}
	}
}

// onChannel forwards a channel event to the local followers' sessions:
// the frame is encoded once and written by the fan-out pool, each socket
// without waiting (session.send). It returns when every session has been
// written to or queued, so the next event of the channel comes after.
func (g *Gateway) onChannel(id int64, data []byte) {
	g.chmu.Lock()
	set := g.chans[id]
	targets := make([]*session, 0, len(set))
	for s := range set {
		targets = append(targets, s)
	}
	g.chmu.Unlock()
	if g.fan == nil {
		for _, s := range targets {
			s.push(data)
		}
		return
	}
	frame := textFrame(data) // encoded once for every follower
	g.fan.run(targets, func(ss []*session) {
		n := 0
		for _, s := range ss {
			if s.send(frame) {
				n++
			}
		}
		if n > 0 && g.opts.Pushed != nil {
			g.opts.Pushed(n)
		}
	})
}

// ChannelSessions returns how many local sessions are indexed under the
// channel (for tests and benchmarks).
func (g *Gateway) ChannelSessions(id int64) int {
	g.chmu.Lock()
	defer g.chmu.Unlock()
	return len(g.chans[id])
}
