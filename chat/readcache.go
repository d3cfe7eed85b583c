package chat

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parleyhq/parley"
)

// The send path's reads, kept in memory: token → device, chat → its row
// and members, account → devices, and blocks. Without them a 1:1 send
// reads the database seven times before its commit.
//
// A cached read must never outlive the write that changed it by more than
// the bus takes to carry the news. Every write to what is cached goes
// through Service.changed, which drops the entries on this node at once
// and publishes the same invalidation on cacheSubject for the other nodes
// of the cluster (and, harmlessly, this one). Three more rules keep a
// slow or lost invalidation from leaving a stale entry behind:
//
//   - a fill that raced an invalidation is not stored: each cache has a
//     generation, bumped by every invalidation, and a value read from the
//     database is kept only if the generation did not move meanwhile;
//   - while the bus is down (internal/nats reports outages), nothing is
//     read from the caches, and they are emptied when it comes back,
//     since invalidations published in between were lost;
//   - an entry lives at most readCacheTTL, in case the bus dropped an
//     invalidation without an outage (a slow consumer).
//
// Not-found answers are not cached (a random token must not fill a
// cache), and each cache holds at most Config.ReadCache entries.

// cacheSubject carries invalidations between the nodes of a cluster.
const cacheSubject = "parley.cache"

// readCacheTTL bounds how long any entry is trusted.
const readCacheTTL = 30 * time.Second

// invalidation names what a write changed.
type invalidation struct {
	Chats    []int64    `json:"chats,omitempty"`    // a chat's row or members
	Accounts []int64    `json:"accounts,omitempty"` // an account's device list
	Devices  []int64    `json:"devices,omitempty"`  // a device's token (unlinked)
	Blocks   [][2]int64 `json:"blocks,omitempty"`   // (blocker, blocked)
}

// chatMembers is a chat's row and members, as the send path needs them.
// LastSeq is not kept: it changes with every message.
type chatMembers struct {
	chat    Chat
	members []Member
}

// member returns accountID's membership.
func (c chatMembers) member(accountID int64) (Member, bool) {
	for _, m := range c.members {
		if m.AccountID == accountID {
			return m, true
		}
	}
	return Member{}, false
}

// readCaches are the send path's reads in memory. Its methods are safe
// for concurrent use.
type readCaches struct {
	store Store
	// live is set while invalidations are being received; unset, every
	// read goes to the store. running is set while run runs.
	live    atomic.Bool
	running atomic.Bool
	tokens  boundedCache[string, Device] // token hash → device
	chats   boundedCache[int64, chatMembers]
	devices boundedCache[int64, []Device] // account → devices, ascending by id
	blocks  boundedCache[[2]int64, bool]  // (blocker, blocked) → blocked
}

func newReadCaches(store Store, size int) *readCaches {
	return &readCaches{store: store,
		tokens: newBoundedCache[string, Device](size), chats: newBoundedCache[int64, chatMembers](size),
		devices: newBoundedCache[int64, []Device](size), blocks: newBoundedCache[[2]int64, bool](size)}
}

// run receives invalidations until ctx is done. The caches are used only
// while it runs and the bus is up.
func (r *readCaches) run(ctx context.Context, bus Bus, log *slog.Logger) {
	unsub, err := bus.Subscribe(cacheSubject, func(_ string, data []byte) {
		var inv invalidation
		if err := json.Unmarshal(data, &inv); err != nil {
			log.Warn("decode a cache invalidation", "err", err)
			return
		}
		r.apply(inv)
	})
	if err != nil {
		log.Error("subscribe to cache invalidations; the send path reads the database", "err", err)
		return
	}
	defer func() { _ = unsub() }()
	if w, ok := bus.(outageWatcher); ok {
		w.WatchOutages(r.busDown, r.busUp)
	}
	r.running.Store(true)
	r.live.Store(true)
	<-ctx.Done()
	r.running.Store(false)
	r.busDown()
}

// outageWatcher is a bus that reports its outages (internal/nats).
type outageWatcher interface {
	WatchOutages(down, up func())
}

func (r *readCaches) busDown() {
	r.live.Store(false)
	r.clear()
}

func (r *readCaches) busUp() {
	r.clear()
	r.live.Store(r.running.Load())
}

func (r *readCaches) clear() {
	r.tokens.clear()
	r.chats.clear()
	r.devices.clear()
	r.blocks.clear()
}

// apply drops what inv names.
func (r *readCaches) apply(inv invalidation) {
	if len(inv.Chats) > 0 {
		r.chats.drop(inv.Chats...)
	}
	if len(inv.Accounts) > 0 {
		r.devices.drop(inv.Accounts...)
	}
	if len(inv.Blocks) > 0 {
		r.blocks.drop(inv.Blocks...)
	}
	if len(inv.Devices) > 0 {
		r.tokens.dropWhere(func(_ string, d Device) bool { return slices.Contains(inv.Devices, d.ID) })
		// A removed device leaves its account's list too.
		r.devices.dropWhere(func(_ int64, ds []Device) bool {
			return slices.ContainsFunc(ds, func(d Device) bool { return slices.Contains(inv.Devices, d.ID) })
		})
	}
}

// deviceByToken is Store.DeviceByTokenHash; the device has only ID and
// AccountID.
func (r *readCaches) deviceByToken(ctx context.Context, hash []byte) (Device, error) {
	live := r.live.Load()
	if live {
		if d, ok, _ := r.tokens.get(string(hash)); ok {
			return d, nil
		}
	}
	gen := r.tokens.generation()
	d, err := r.store.DeviceByTokenHash(ctx, hash)
	if err != nil {
		return Device{}, err
	}
	d = Device{ID: d.ID, AccountID: d.AccountID}
	if live {
		r.tokens.put(string(hash), d, gen)
	}
	return d, nil
}

// chat returns the chat's row and members, or ErrNotFound.
func (r *readCaches) chat(ctx context.Context, chatID int64) (chatMembers, error) {
	live := r.live.Load()
	if live {
		if c, ok, _ := r.chats.get(chatID); ok {
			return c, nil
		}
	}
	gen := r.chats.generation()
	c, err := r.store.GetChat(ctx, chatID)
	if err != nil {
		return chatMembers{}, err
	}
	ms, err := r.store.Members(ctx, chatID)
	if err != nil {
		return chatMembers{}, fmt.Errorf("members: %w", err)
	}
	c.LastSeq = 0
	cm := chatMembers{chat: c, members: ms}
	if live {
		r.chats.put(chatID, cm, gen)
	}
	return cm, nil
}

// memberOf is MemberOf from the cache: ENotFound for no such chat,
// EForbidden when p is not a member. It also returns the chat's members.
func (r *readCaches) memberOf(ctx context.Context, p parley.Principal, chatID int64) (chatMembers, Member, error) {
	cm, err := r.chat(ctx, chatID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return chatMembers{}, Member{}, &parley.Error{Code: parley.ENotFound, Message: "no such chat", Details: map[string]any{"chat_id": chatID}}
	} else if err != nil {
		return chatMembers{}, Member{}, fmt.Errorf("get chat: %w", err)
	}
	m, ok := cm.member(p.AccountID)
	if !ok {
		return chatMembers{}, Member{}, &parley.Error{Code: parley.EForbidden, Message: "you are not a member of this chat", Details: map[string]any{"chat_id": chatID}}
	}
	return cm, m, nil
}

// devicesOf is Store.DevicesOf: the devices of all the accounts,
// ascending by id, in a new slice the caller may change.
func (r *readCaches) devicesOf(ctx context.Context, accounts []int64) ([]Device, error) {
	live := r.live.Load()
	var out []Device
	missing := accounts
	if live {
		missing = nil
		for _, a := range accounts {
			if ds, ok, _ := r.devices.get(a); ok {
				out = append(out, ds...)
			} else {
				missing = append(missing, a)
			}
		}
	}
	if len(missing) > 0 {
		gen := r.devices.generation()
		ds, err := r.store.DevicesOf(ctx, missing)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
		if live {
			byAccount := make(map[int64][]Device, len(missing))
			for _, d := range ds {
				d.LastActiveAt = time.Time{} // changes without an invalidation
				byAccount[d.AccountID] = append(byAccount[d.AccountID], d)
			}
			for _, a := range missing {
				r.devices.put(a, byAccount[a], gen)
			}
		}
	}
	slices.SortFunc(out, func(a, b Device) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// isBlocked is Store.IsBlocked.
func (r *readCaches) isBlocked(ctx context.Context, accountID, otherID int64) (bool, error) {
	k := [2]int64{accountID, otherID}
	live := r.live.Load()
	if live {
		if b, ok, _ := r.blocks.get(k); ok {
			return b, nil
		}
	}
	gen := r.blocks.generation()
	b, err := r.store.IsBlocked(ctx, accountID, otherID)
	if err != nil {
		return false, err
	}
	if live {
		r.blocks.put(k, b, gen)
	}
	return b, nil
}

// boundedCache is a map of at most max entries, each trusted for
// readCacheTTL. When full, an arbitrary entry makes room (Go's map
// iteration starts at a random place): cheap, and fair enough for reads
// that are all alike.
type boundedCache[K comparable, V any] struct {
	mu  sync.Mutex
	max int
	gen uint64 // bumped by every drop and clear
	m   map[K]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v       V
	expires time.Time // monotonic: a test's clock must not age entries
}

func newBoundedCache[K comparable, V any](max int) boundedCache[K, V] {
	return boundedCache[K, V]{max: max, m: make(map[K]cacheEntry[V])}
}

// generation is read before a fill's database read, and given to put.
func (c *boundedCache[K, V]) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *boundedCache[K, V]) get(k K) (V, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if ok && time.Now().After(e.expires) {
		delete(c.m, k)
		ok = false
	}
	return e.v, ok, c.gen
}

// put stores v unless an invalidation came after generation gen was read:
// v may then be older than the write that invalidation announced.
func (c *boundedCache[K, V]) put(k K, v V, gen uint64) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = cacheEntry[V]{v: v, expires: time.Now().Add(readCacheTTL)}
}

func (c *boundedCache[K, V]) drop(keys ...K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, k := range keys {
		delete(c.m, k)
	}
}

func (c *boundedCache[K, V]) dropWhere(fn func(K, V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.m {
		if fn(k, e.v) {
			delete(c.m, k)
		}
	}
}

func (c *boundedCache[K, V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

// changed drops what a write changed from this node's caches and tells
// the other nodes. Call it after every write to a device, a token, a
// chat's row or members, or a block, whether or not the write succeeded
// (a failed commit may still have happened).
func (s *Service) changed(inv invalidation) {
	s.reads.apply(inv)
	if s.bus == nil {
		return
	}
	data, err := json.Marshal(inv)
	if err != nil {
		s.log.Error("encode a cache invalidation", "err", err)
		return
	}
	if err := s.bus.Publish(cacheSubject, data); err != nil {
		// The bus is down: the other nodes read from their stores until
		// it is back, and empty their caches then.
		s.log.Warn("publish a cache invalidation", "err", err)
	}
}

// BlockChanged tells the send path's caches, on every node, that
// accountID blocked or unblocked otherID. Writers of blocks outside the
// chat core (a business number's Block Users API) call it after the write.
func (s *Service) BlockChanged(accountID, otherID int64) {
	s.changed(invalidation{Blocks: [][2]int64{{accountID, otherID}}})
}

// DevicesChanged tells the send path's caches, on every node, that
// accountID's devices changed. Writers of devices outside the chat core
// (a business number's cloud device) call it after the write.
func (s *Service) DevicesChanged(accountID int64) {
	s.changed(invalidation{Accounts: []int64{accountID}})
}
