package channel

import (
	"context"
	"fmt"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// Report files a report of a channel (seq 0) or one of its posts. A
// reporter's repeated report of the same thing counts once. Errors:
// ENotFound, EInvalid for a reason over 500 characters.
func (s *Service) Report(ctx context.Context, p parley.Principal, id, seq int64, reason string) error {
	if err := ValidRunes("reason", reason, 0, 500); err != nil {
		return err
	}
	if _, err := s.channel(ctx, id); err != nil {
		return err
	}
	if seq != 0 {
		if _, err := s.post(ctx, id, seq); err != nil {
			return err
		}
	}
	r := ChannelReport{ChannelID: id, PostSeq: seq, ReporterID: p.AccountID, Reason: reason, CreatedAt: s.now()}
	if err := s.store.AddChannelReport(ctx, &r); err != nil {
		return fmt.Errorf("add report: %w", err)
	}
	return nil
}

// ChannelReports lists the newest reports (operator).
func (s *Service) ChannelReports(ctx context.Context, limit int) ([]wire.ReportView, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rs, err := s.store.ChannelReports(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("channel reports: %w", err)
	}
	out := make([]wire.ReportView, len(rs))
	for i, r := range rs {
		out[i] = wire.ReportView{ID: r.ID, ChannelID: r.ChannelID, PostSeq: r.PostSeq, Reason: r.Reason, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

func operatorView(c Channel) wire.OperatorChannel {
	return wire.OperatorChannel{ID: c.ID, Handle: c.Handle, Name: c.Name, OwnerID: c.OwnerID, Verified: c.Verified,
		Followers: c.Followers, Suspended: c.Suspended(), SuspendReason: c.SuspendReason, CreatedAt: c.CreatedAt}
}

// OperatorGetChannel returns a channel (operator).
func (s *Service) OperatorGetChannel(ctx context.Context, id int64) (wire.OperatorChannel, error) {
	c, err := s.channel(ctx, id)
	if err != nil {
		return wire.OperatorChannel{}, err
	}
	return operatorView(c), nil
}

// SetVerified grants or removes the verified badge (operator).
func (s *Service) SetVerified(ctx context.Context, id int64, verified bool) (wire.OperatorChannel, error) {
	if err := s.store.SetChannelVerified(ctx, id, verified); parley.ErrorCode(err) == parley.ENotFound {
		return wire.OperatorChannel{}, noChannel(id)
	} else if err != nil {
		return wire.OperatorChannel{}, fmt.Errorf("set verified: %w", err)
	}
	return s.OperatorGetChannel(ctx, id)
}

// Suspend suspends a channel with a reason shown to its followers; a
// suspended channel cannot post and cannot be followed (operator). An
// empty reason is EInvalid.
func (s *Service) Suspend(ctx context.Context, id int64, reason string) (wire.OperatorChannel, error) {
	if err := ValidRunes("reason", reason, 1, 500); err != nil {
		return wire.OperatorChannel{}, err
	}
	if err := s.store.SetChannelSuspension(ctx, id, reason, s.now()); parley.ErrorCode(err) == parley.ENotFound {
		return wire.OperatorChannel{}, noChannel(id)
	} else if err != nil {
		return wire.OperatorChannel{}, fmt.Errorf("suspend: %w", err)
	}
	s.publishChannel(id, wire.Event{Type: wire.EventChannelSuspended, Reason: reason})
	return s.OperatorGetChannel(ctx, id)
}

// Unsuspend lifts a suspension (operator).
func (s *Service) Unsuspend(ctx context.Context, id int64) (wire.OperatorChannel, error) {
	if err := s.store.SetChannelSuspension(ctx, id, "", time.Time{}); parley.ErrorCode(err) == parley.ENotFound {
		return wire.OperatorChannel{}, noChannel(id)
	} else if err != nil {
		return wire.OperatorChannel{}, fmt.Errorf("unsuspend: %w", err)
	}
	return s.OperatorGetChannel(ctx, id)
}
