package sqlstore

import (
	"context"

	"github.com/parleyhq/parley"
)

// The sealed end-to-end state of the cloud devices (business.CloudKeyStore).

// GetCloudKeys returns a cloud device's sealed state and its version, or
// ErrNotFound.
func (s *Store) GetCloudKeys(ctx context.Context, deviceID int64) (state []byte, version int64, err error) {
	err = s.r.QueryRow(ctx, `SELECT state, version FROM cloud_device_keys WHERE device_id = ?`, deviceID).Scan(&state, &version)
	return state, version, s.wrap("get cloud keys", err)
}

// CloudKeysVersion returns the version of a cloud device's state, or
// ErrNotFound: a node whose copy is current reads no more.
func (s *Store) CloudKeysVersion(ctx context.Context, deviceID int64) (int64, error) {
	var v int64
	err := s.r.QueryRow(ctx, `SELECT version FROM cloud_device_keys WHERE device_id = ?`, deviceID).Scan(&v)
	return v, s.wrap("cloud keys version", err)
}

// PutCloudKeys stores state as version+1 if the stored version is
// version (0: nothing stored yet), and returns EConflict otherwise.
func (s *Store) PutCloudKeys(ctx context.Context, deviceID int64, state []byte, version int64) error {
	if version == 0 {
		_, err := s.w.Exec(ctx, `INSERT INTO cloud_device_keys (device_id, version, state) VALUES (?, 1, ?)`, deviceID, state)
		return s.wrap("put cloud keys", err)
	}
	n, err := s.w.Exec(ctx, `UPDATE cloud_device_keys SET state = ?, version = version + 1 WHERE device_id = ? AND version = ?`,
		state, deviceID, version)
	if err == nil && n == 0 {
		return parley.Errorf(parley.EConflict, "the cloud device's keys changed underneath (version %d is not current)", version)
	}
	return s.wrap("put cloud keys", err)
}
