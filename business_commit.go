package parley

import (
	"context"
	"time"
)

// bizWrite is one caller's part of a business group commit.
type bizWrite struct {
	batch *BusinessBatch
	done  chan error
}

// write hands a batch to the business committer and waits until it is
// committed. Like Service.commit, concurrent callers share transactions:
// under load one fsync covers many sends.
func (b *Businesses) write(ctx context.Context, batch *BusinessBatch) error {
	w := &bizWrite{batch: batch, done: make(chan error, 1)}
	select {
	case b.writes <- w:
	case <-ctx.Done():
		return Errorf(EUnavailable, "request cancelled before commit")
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return Errorf(EUnavailable, "request cancelled while committing")
	}
}

// AppendedBusiness merges the business batches of the appends that
// commit (no Err, not a Duplicate), or returns nil if there are none. A
// store's Commit writes it in the appends' transaction.
func AppendedBusiness(appends []*Append) *BusinessBatch {
	var all *BusinessBatch
	for _, a := range appends {
		if a.Business == nil || a.Err != nil || a.Duplicate {
			continue
		}
		if all == nil {
			all = &BusinessBatch{}
		}
		all.add(a.Business)
	}
	return all
}

// add appends b's rows to all's.
func (all *BusinessBatch) add(b *BusinessBatch) {
	all.Messages = append(all.Messages, b.Messages...)
	all.Conversations = append(all.Conversations, b.Conversations...)
	all.Reach = append(all.Reach, b.Reach...)
	all.Webhooks = append(all.Webhooks, b.Webhooks...)
	all.Usage = append(all.Usage, b.Usage...)
	all.Charges = append(all.Charges, b.Charges...)
}

// commitLoop is the business committer; Run runs it.
func (b *Businesses) commitLoop(ctx context.Context) {
	var ws []*bizWrite
	for {
		ws = ws[:0]
		select {
		case <-ctx.Done():
			for {
				select {
				case w := <-b.writes:
					w.done <- Errorf(EUnavailable, "server is shutting down")
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
		all := &BusinessBatch{}
		for _, w := range ws {
			all.add(w.batch)
		}
		start := time.Now()
		err := b.st.CommitBusiness(context.WithoutCancel(ctx), all)
		if err != nil {
			b.log.Error("business commit failed", "writes", len(ws), "took", time.Since(start), "err", err)
			err = &Error{Code: EInternal, Message: "internal error", Err: err}
		}
		for _, w := range ws {
			w.done <- err
		}
		if err == nil && len(all.Webhooks) > 0 {
			b.enqueued()
		}
	}
}
