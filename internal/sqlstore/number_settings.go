package sqlstore

import (
	"context"
	"time"
)

// GetNumberSetting returns a number's settings document of that kind, or
// ErrNotFound.
func (s *Store) GetNumberSetting(ctx context.Context, numberID int64, kind string) ([]byte, error) {
	var body string
	err := s.r.QueryRow(ctx, `SELECT body FROM number_settings WHERE number_id = ? AND kind = ?`, numberID, kind).Scan(&body)
	return []byte(body), s.wrap("get number setting", err)
}

// PutNumberSetting creates or replaces a number's settings document.
func (s *Store) PutNumberSetting(ctx context.Context, numberID int64, kind string, body []byte, at time.Time) error {
	_, err := s.w.Exec(ctx, `INSERT INTO number_settings (number_id, kind, body, updated_at) VALUES (?,?,?,?)
		ON CONFLICT (number_id, kind) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
		numberID, kind, string(body), s.ts(at))
	return s.wrap("put number setting", err)
}

// SetLinkPrefill changes a click-to-chat link's prefilled message, or
// returns ErrNotFound.
func (s *Store) SetLinkPrefill(ctx context.Context, id int64, prefill string) error {
	err := affected(s.w.Exec(ctx, `UPDATE ctc_links SET prefill = ? WHERE id = ?`, prefill, id))
	return s.wrap("set link prefill", err)
}

// GetBusinessSetting returns a business's settings document of that kind,
// or ErrNotFound.
func (s *Store) GetBusinessSetting(ctx context.Context, businessID int64, kind string) ([]byte, error) {
	var body string
	err := s.r.QueryRow(ctx, `SELECT body FROM business_settings WHERE business_id = ? AND kind = ?`, businessID, kind).Scan(&body)
	return []byte(body), s.wrap("get business setting", err)
}

// PutBusinessSetting creates or replaces a business's settings document.
func (s *Store) PutBusinessSetting(ctx context.Context, businessID int64, kind string, body []byte, at time.Time) error {
	_, err := s.w.Exec(ctx, `INSERT INTO business_settings (business_id, kind, body, updated_at) VALUES (?,?,?,?)
		ON CONFLICT (business_id, kind) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
		businessID, kind, string(body), s.ts(at))
	return s.wrap("put business setting", err)
}

// DeleteBusinessSetting removes a business's settings document; removing
// one that does not exist is not an error.
func (s *Store) DeleteBusinessSetting(ctx context.Context, businessID int64, kind string) error {
	_, err := s.w.Exec(ctx, `DELETE FROM business_settings WHERE business_id = ? AND kind = ?`, businessID, kind)
	return s.wrap("delete business setting", err)
}
