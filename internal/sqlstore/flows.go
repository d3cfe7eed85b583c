package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// This file implements business.FlowStore.

const flowCols = `id, business_id, name, categories, status, endpoint_uri, flow_json, json_version, data_api_version,
	validation_errors, created_at, updated_at`

func scanFlow(sc Row) (business.Flow, error) {
	var f business.Flow
	var cats, verrs string
	err := sc.Scan(&f.ID, &f.BusinessID, &f.Name, &cats, &f.Status, &f.EndpointURI, &f.JSON, &f.JSONVersion, &f.DataAPIVersion,
		&verrs, tcol(&f.CreatedAt), tcol(&f.UpdatedAt))
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal([]byte(cats), &f.Categories); err != nil {
		return f, err
	}
	if err := json.Unmarshal([]byte(verrs), &f.ValidationErrors); err != nil {
		return f, err
	}
	return f, nil
}

func flowJSONCols(f business.Flow) (cats, verrs string) {
	c, _ := json.Marshal(f.Categories)
	if f.Categories == nil {
		c = []byte("[]")
	}
	v, _ := json.Marshal(f.ValidationErrors)
	if f.ValidationErrors == nil {
		v = []byte("[]")
	}
	return string(c), string(v)
}

// CreateFlow inserts f and sets f.ID.
func (s *Store) CreateFlow(ctx context.Context, f *business.Flow) error {
	cats, verrs := flowJSONCols(*f)
	err := s.w.QueryRow(ctx, `INSERT INTO flows (business_id, name, categories, status, endpoint_uri, flow_json, json_version,
		data_api_version, validation_errors, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		f.BusinessID, f.Name, cats, f.Status, f.EndpointURI, f.JSON, f.JSONVersion, f.DataAPIVersion, verrs,
		s.ts(f.CreatedAt), s.ts(f.UpdatedAt)).Scan(&f.ID)
	return s.wrap("create flow", err)
}

// GetFlow returns a Flow, or ErrNotFound.
func (s *Store) GetFlow(ctx context.Context, id int64) (business.Flow, error) {
	f, err := scanFlow(s.r.QueryRow(ctx, `SELECT `+flowCols+` FROM flows WHERE id = ?`, id))
	return f, s.wrap("get flow", err)
}

// FlowByName returns the business's Flow of that name, or ErrNotFound.
func (s *Store) FlowByName(ctx context.Context, businessID int64, name string) (business.Flow, error) {
	f, err := scanFlow(s.r.QueryRow(ctx, `SELECT `+flowCols+` FROM flows WHERE business_id = ? AND name = ?`, businessID, name))
	return f, s.wrap("flow by name", err)
}

// ListFlows returns a business's Flows after an id.
func (s *Store) ListFlows(ctx context.Context, businessID, after int64, limit int) ([]business.Flow, error) {
	fs, err := queryAll(ctx, s.r, `SELECT `+flowCols+` FROM flows WHERE business_id = ? AND id > ? ORDER BY id LIMIT ?`,
		scanFlow, businessID, after, limit)
	return fs, s.wrap("list flows", err)
}

// UpdateFlow writes a Flow's fields if its status is still f.Status.
func (s *Store) UpdateFlow(ctx context.Context, f business.Flow) error {
	cats, verrs := flowJSONCols(f)
	n, err := s.w.Exec(ctx, `UPDATE flows SET name = ?, categories = ?, endpoint_uri = ?, flow_json = ?, json_version = ?,
		data_api_version = ?, validation_errors = ?, updated_at = ? WHERE id = ? AND status = ?`,
		f.Name, cats, f.EndpointURI, f.JSON, f.JSONVersion, f.DataAPIVersion, verrs, s.ts(f.UpdatedAt), f.ID, f.Status)
	if err != nil {
		return s.wrap("update flow", err)
	}
	if n == 0 {
		return s.flowConflict(ctx, f.ID, "update flow")
	}
	return nil
}

// flowConflict tells ErrNotFound from EConflict after a conditional
// write changed nothing.
func (s *Store) flowConflict(ctx context.Context, id int64, op string) error {
	if _, err := s.GetFlow(ctx, id); err != nil {
		return err
	}
	return &parley.Error{Code: parley.EConflict, Message: op + ": the flow's status changed"}
}

// SetFlowStatus moves a Flow from one status to another.
func (s *Store) SetFlowStatus(ctx context.Context, id int64, from, to business.FlowStatus, at time.Time) error {
	n, err := s.w.Exec(ctx, `UPDATE flows SET status = ?, updated_at = ? WHERE id = ? AND status = ?`, to, s.ts(at), id, from)
	if err != nil {
		return s.wrap("set flow status", err)
	}
	if n == 0 {
		return s.flowConflict(ctx, id, "set flow status")
	}
	return nil
}

// DeleteFlow deletes a draft.
func (s *Store) DeleteFlow(ctx context.Context, id int64) error {
	n, err := s.w.Exec(ctx, `DELETE FROM flows WHERE id = ? AND status = ?`, id, business.FlowDraft)
	if err != nil {
		return s.wrap("delete flow", err)
	}
	if n == 0 {
		return s.flowConflict(ctx, id, "delete flow")
	}
	return nil
}

// SetFlowKey stores or replaces a number's Flows public key.
func (s *Store) SetFlowKey(ctx context.Context, numberID int64, pem string, at time.Time) error {
	_, err := s.w.Exec(ctx, `INSERT INTO flow_encryption_keys (number_id, public_key, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (number_id) DO UPDATE SET public_key = excluded.public_key, updated_at = excluded.updated_at`,
		numberID, pem, s.ts(at))
	return s.wrap("set flow key", err)
}

// FlowKey returns a number's Flows public key, or ErrNotFound.
func (s *Store) FlowKey(ctx context.Context, numberID int64) (string, error) {
	var k string
	err := s.r.QueryRow(ctx, `SELECT public_key FROM flow_encryption_keys WHERE number_id = ?`, numberID).Scan(&k)
	return k, s.wrap("flow key", err)
}

// CreateFlowSession records a Flow message sent to a person.
func (s *Store) CreateFlowSession(ctx context.Context, fs business.FlowSession) error {
	_, err := s.w.Exec(ctx, `INSERT INTO flow_sessions (wamid, flow_id, number_id, chat_id, customer_id, flow_token, created_at)
		VALUES (?,?,?,?,?,?,?)`, fs.Wamid, fs.FlowID, fs.NumberID, fs.ChatID, fs.CustomerID, fs.Token, s.ts(fs.CreatedAt))
	return s.wrap("create flow session", err)
}

// GetFlowSession returns the Flow message sent as wamid, or ErrNotFound.
func (s *Store) GetFlowSession(ctx context.Context, wamid string) (business.FlowSession, error) {
	fs := business.FlowSession{Wamid: wamid}
	err := s.r.QueryRow(ctx, `SELECT flow_id, number_id, chat_id, customer_id, flow_token, created_at, completed_at FROM flow_sessions
		WHERE wamid = ?`, wamid).Scan(&fs.FlowID, &fs.NumberID, &fs.ChatID, &fs.CustomerID, &fs.Token, tcol(&fs.CreatedAt), tcol(&fs.CompletedAt))
	return fs, s.wrap("get flow session", err)
}

// CompleteFlowSession marks a Flow message finished, once.
func (s *Store) CompleteFlowSession(ctx context.Context, wamid string, at time.Time) error {
	n, err := s.w.Exec(ctx, `UPDATE flow_sessions SET completed_at = ? WHERE wamid = ? AND completed_at IS NULL`, s.ts(at), wamid)
	if err != nil {
		return s.wrap("complete flow session", err)
	}
	if n == 0 {
		if _, err := s.GetFlowSession(ctx, wamid); err != nil {
			return err
		}
		return &parley.Error{Code: parley.EConflict, Message: "the flow is already completed"}
	}
	return nil
}

// CountFlowSessions returns how many messages opened Flow flowID since
// since.
func (s *Store) CountFlowSessions(ctx context.Context, flowID int64, since time.Time) (int, error) {
	var n int
	err := s.r.QueryRow(ctx, `SELECT COUNT(*) FROM flow_sessions WHERE flow_id = ? AND created_at >= ?`, flowID, s.ts(since)).Scan(&n)
	return n, s.wrap("count flow sessions", err)
}
