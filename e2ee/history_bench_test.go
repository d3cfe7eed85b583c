package e2ee

import (
	"context"
	"crypto/rand"
	"testing"
)

// bundle1MiB is a history bundle of 1 MiB (random, as gzip output is).
func bundle1MiB(b *testing.B) []byte {
	p := make([]byte, 1<<20)
	if _, err := rand.Read(p); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkSealHistory: sealing a 1 MiB bundle for a new device (AES-256-GCM
// of the bundle, its key over Olm; the session exists after the first).
func BenchmarkSealHistory(b *testing.B) {
	x := newDir(b)
	phone := x.join(1, 11, nil)
	laptop := x.join(1, 12, phone)
	x.learn(phone)
	bundle := bundle1MiB(b)
	b.SetBytes(int64(len(bundle)))
	for b.Loop() {
		if _, err := phone.SealHistory(context.Background(), api{x}, laptop.DeviceID(), bundle); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenHistory: the new device opening a sealed 1 MiB bundle.
func BenchmarkOpenHistory(b *testing.B) {
	x := newDir(b)
	phone := x.join(1, 11, nil)
	laptop := x.join(1, 12, phone)
	x.learn(phone, laptop)
	bundle := bundle1MiB(b)
	b.SetBytes(int64(len(bundle)))
	bodies := make([][]byte, b.N)
	for i := range bodies {
		body, err := phone.SealHistory(context.Background(), api{x}, laptop.DeviceID(), bundle)
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = body
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := laptop.OpenHistory(context.Background(), api{x}, historyEntry(phone, bodies[i])); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBackupRoundTrip: sealing and opening a 1 MiB backup payload
// (HKDF-SHA-256, AES-256-GCM).
func BenchmarkBackupRoundTrip(b *testing.B) {
	rk, err := NewRecoveryKey()
	if err != nil {
		b.Fatal(err)
	}
	payload := bundle1MiB(b)
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		blob, err := SealBackup(rk, 1, payload)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := OpenBackup(rk, 1, blob); err != nil {
			b.Fatal(err)
		}
	}
}
