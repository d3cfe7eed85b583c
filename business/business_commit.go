package business

import (
	"context"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

// bizWrite is one caller's part of a business group commit.
type bizWrite struct {
	batch *Batch
	done  chan error
}

// write hands a batch to the business committer and waits until it is
// committed. Like Service.commit, concurrent callers share transactions:
// under load one fsync covers many sends.
func (b *Service) write(ctx context.Context, batch *Batch) error {
	w := &bizWrite{batch: batch, done: make(chan error, 1)}
	select {
	case b.writes <- w:
	case <-ctx.Done():
		return parley.Errorf(parley.EUnavailable, "request cancelled before commit")
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return parley.Errorf(parley.EUnavailable, "request cancelled while committing")
	}
}

// AppendedBusiness merges the business batches of the appends that
// commit (no Err, not a Duplicate), or returns nil if there are none. A
// store's Commit writes it in the appends' transaction.
func AppendedBusiness(appends []*chat.Append) *Batch {
	var all *Batch
	for _, a := range appends {
		bb, ok := a.Extra.(*Batch)
		if !ok || bb == nil || a.Err != nil || a.Duplicate {
			continue
		}
		if all == nil {
			all = &Batch{}
		}
		all.add(bb)
	}
	return all
}

// add appends b's rows to all's.
func (all *Batch) add(b *Batch) {
	all.Messages = append(all.Messages, b.Messages...)
	all.Conversations = append(all.Conversations, b.Conversations...)
	all.Reach = append(all.Reach, b.Reach...)
	all.Webhooks = append(all.Webhooks, b.Webhooks...)
	all.Usage = append(all.Usage, b.Usage...)
	all.Charges = append(all.Charges, b.Charges...)
	all.OrderLinks = append(all.OrderLinks, b.OrderLinks...)
}

// commitLoop is the business committer; Run runs it.
func (b *Service) commitLoop(ctx context.Context) {
	var ws []*bizWrite
	for {
		ws = ws[:0]
		select {
		case <-ctx.Done():
			for {
				select {
				case w := <-b.writes:
					w.done <- parley.Errorf(parley.EUnavailable, "server is shutting down")
				default:
					return
				}
			}
		case w := <-b.writes:
			ws = append(ws, w)
		}
	gather:
		for len(ws) < 512 {
			select {
			case w := <-b.writes:
				ws = append(ws, w)
			default:
				break gather
			}
		}
		all := &Batch{}
		for _, w := range ws {
			all.add(w.batch)
		}
		b.hookSeal.seal(all.Webhooks)
		start := time.Now()
		err := b.st.CommitBusiness(context.WithoutCancel(ctx), all)
		if err != nil {
			b.log.Error("business commit failed", "writes", len(ws), "took", time.Since(start), "err", err)
			err = &parley.Error{Code: parley.EInternal, Message: "internal error", Err: err}
		}
		for _, w := range ws {
			w.done <- err
		}
		if err == nil && len(all.Webhooks) > 0 {
			b.enqueued()
		}
	}
}
