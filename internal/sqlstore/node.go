package sqlstore

import "context"

// SecretFingerprint records fp as the fingerprint of the nodes' shared
// secret if none is recorded yet, and returns the one recorded (fp itself
// for the first node).
func (s *Store) SecretFingerprint(ctx context.Context, fp string) (string, error) {
	if _, err := s.w.Exec(ctx, `INSERT INTO node_secret (id, fingerprint) VALUES (1, ?) ON CONFLICT (id) DO NOTHING`, fp); err != nil {
		return "", s.wrap("record secret fingerprint", err)
	}
	var got string
	err := s.w.QueryRow(ctx, `SELECT fingerprint FROM node_secret WHERE id = 1`).Scan(&got)
	return got, s.wrap("read secret fingerprint", err)
}
