package chat

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// The device directory: which node holds each connected device, so that a
// committed entry goes on the bus to that node only, in one message per
// node for a whole commit batch (a group message to 500 devices on one
// node is one bus message), instead of one message per device that every
// node receives. Nodes announce the devices they hold on dirSubject: each
// change as it happens, and their whole set every DirectoryPeriod, which
// also repairs announcements the bus lost (core NATS is at most once). A
// node not heard for three periods is forgotten.
//
// A device the directory does not know (offline, or connected a moment
// ago elsewhere) gets its entries on its own subject (DeviceSubject), which
// every node receives, as before the directory. A node that receives, on
// its node subject, an entry for a device it no longer holds forwards it
// to the device subject. The gateway reads the inbox once more a little
// after a device connects (the directory's propagation delay), so an entry
// sent to the node the device just left is not missed either.

// dirSubject carries the directory's announcements.
const dirSubject = "parley.dir"

// DirectoryPeriod is how often a node announces every device it holds.
const DirectoryPeriod = 5 * time.Second

// NodeSubject is the bus subject of the entry batches for one node.
func NodeSubject(node string) string { return "parley.node." + node + ".entries" }

// Directory tracks where devices are connected. Its methods are safe for
// concurrent use.
type Directory struct {
	node string
	bus  Bus
	log  *slog.Logger

	mu    sync.Mutex
	local map[int64]int             // devices held here: sessions per device
	where map[int64]string          // device → node, for other nodes' devices
	nodes map[string]map[int64]bool // other nodes' devices
	heard map[string]time.Time      // other nodes: when last announced
}

func newDirectory(bus Bus, log *slog.Logger) *Directory {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Directory{node: hex.EncodeToString(b), bus: bus, log: log,
		local: map[int64]int{}, where: map[int64]string{}, nodes: map[string]map[int64]bool{}, heard: map[string]time.Time{}}
}

// Node returns this node's id.
func (d *Directory) Node() string { return d.node }

// announcement is one message on dirSubject.
type announcement struct {
	Node string  `json:"node"`
	On   []int64 `json:"on,omitempty"`
	Off  []int64 `json:"off,omitempty"`
	// All, when set, is every device the node holds: a snapshot.
	All  []int64 `json:"all,omitempty"`
	Full bool    `json:"full,omitempty"`
}

// Hold records that a session of device is connected to this node.
func (d *Directory) Hold(device int64) {
	d.mu.Lock()
	d.local[device]++
	first := d.local[device] == 1
	d.mu.Unlock()
	if first {
		d.announce(announcement{Node: d.node, On: []int64{device}})
	}
}

// Release records that a session of device left this node.
func (d *Directory) Release(device int64) {
	d.mu.Lock()
	d.local[device]--
	last := d.local[device] <= 0
	if last {
		delete(d.local, device)
	}
	d.mu.Unlock()
	if last {
		d.announce(announcement{Node: d.node, Off: []int64{device}})
	}
}

// Holds reports whether device is connected to this node.
func (d *Directory) Holds(device int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.local[device] > 0
}

// NodeOf returns the node that holds device, this one included, or "".
func (d *Directory) NodeOf(device int64) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.local[device] > 0 {
		return d.node
	}
	return d.where[device]
}

// Peers returns how many other nodes the directory has heard from.
func (d *Directory) Peers() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.heard)
}

func (d *Directory) announce(a announcement) {
	data, err := json.Marshal(a)
	if err != nil {
		return
	}
	if err := d.bus.Publish(dirSubject, data); err != nil {
		d.log.Warn("announce devices", "err", err)
	}
}

// apply records another node's announcement.
func (d *Directory) apply(a announcement, now time.Time) {
	if a.Node == "" || a.Node == d.node {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.heard[a.Node] = now
	set := d.nodes[a.Node]
	if set == nil {
		set = map[int64]bool{}
		d.nodes[a.Node] = set
	}
	if a.Full {
		for dev := range set {
			if d.where[dev] == a.Node {
				delete(d.where, dev)
			}
		}
		clear(set)
		a.On = a.All
	}
	for _, dev := range a.On {
		set[dev] = true
		d.where[dev] = a.Node // the latest announcement wins: the device moved
	}
	for _, dev := range a.Off {
		delete(set, dev)
		if d.where[dev] == a.Node {
			delete(d.where, dev)
		}
	}
}

// expire forgets the nodes not heard since before.
func (d *Directory) expire(before time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for node, at := range d.heard {
		if at.After(before) {
			continue
		}
		for dev := range d.nodes[node] {
			if d.where[dev] == node {
				delete(d.where, dev)
			}
		}
		delete(d.nodes, node)
		delete(d.heard, node)
	}
}

// snapshot returns the devices held here.
func (d *Directory) snapshot() []int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]int64, 0, len(d.local))
	for dev := range d.local {
		out = append(out, dev)
	}
	return out
}

// run announces this node's devices every DirectoryPeriod and applies the
// other nodes' announcements until ctx ends.
func (d *Directory) run(ctx context.Context) {
	unsub, err := d.bus.Subscribe(dirSubject, func(_ string, data []byte) {
		var a announcement
		if json.Unmarshal(data, &a) == nil {
			d.apply(a, time.Now())
		}
	})
	if err != nil {
		d.log.Warn("subscribe to the device directory; entries go to every node", "err", err)
		return
	}
	defer unsub()
	t := time.NewTicker(DirectoryPeriod)
	defer t.Stop()
	for {
		d.announce(announcement{Node: d.node, All: d.snapshot(), Full: true})
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			d.expire(now.Add(-3 * DirectoryPeriod))
		}
	}
}

// A batch is what goes to one node's subject: for each entry, the device
// id and the length of the frame as uvarints, then the frame (the JSON
// event the device receives).

// AppendBatch appends one device's frame to a batch.
func AppendBatch(batch []byte, device int64, frame []byte) []byte {
	batch = binary.AppendUvarint(batch, uint64(device))
	batch = binary.AppendUvarint(batch, uint64(len(frame)))
	return append(batch, frame...)
}

// errBatch is a batch that does not decode.
var errBatch = errors.New("malformed entry batch")

// ForEachInBatch calls fn for each device and frame of a batch, in order.
// The frames alias batch.
func ForEachInBatch(batch []byte, fn func(device int64, frame []byte)) error {
	for len(batch) > 0 {
		dev, n := binary.Uvarint(batch)
		if n <= 0 || dev == 0 || dev > 1<<62 {
			return errBatch
		}
		batch = batch[n:]
		size, n := binary.Uvarint(batch)
		if n <= 0 || size > uint64(len(batch)-n) {
			return errBatch
		}
		batch = batch[n:]
		fn(int64(dev), batch[:size])
		batch = batch[size:]
	}
	return nil
}
