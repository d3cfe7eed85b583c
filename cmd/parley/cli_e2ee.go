package main

// The CLI's end-to-end encryption (docs/E2EE.md): each profile keeps its
// device's keys and sessions in <profile>.e2ee.json beside the profile,
// mode 0600; every message is encrypted for each recipient device
// (client.UseE2EE). Commands: safety-number, verify, devices approve.

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/e2ee"
)

// e2eePath is where the profile's end-to-end state lives.
func (cl *cli) e2eePath() (string, error) {
	path, err := cl.statePath()
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(path, ".json") + ".e2ee.json", nil
}

// setupE2EE loads the device's end-to-end state into the client, or, for
// a new login (or a profile from before end-to-end encryption), makes
// it and publishes its keys.
func (cl *cli) setupE2EE() error {
	path, err := cl.e2eePath()
	if err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		d, err := e2ee.Load(b)
		if err != nil {
			return fmt.Errorf("read end-to-end keys %s: %w", path, err)
		}
		if d.AccountID() != cl.st.AccountID || d.DeviceID() != cl.st.DeviceID {
			return fmt.Errorf("end-to-end keys %s belong to another device; remove the file and log in again", path)
		}
		cl.c.UseE2EE(d)
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("read end-to-end keys: %w", err)
	}
	d, err := e2ee.NewDevice(cl.st.AccountID, cl.st.DeviceID)
	if err != nil {
		return err
	}
	cl.c.UseE2EE(d)
	if err := cl.c.SetupE2EE(cl.ctx); err != nil {
		return fmt.Errorf("set up end-to-end encryption: %w", err)
	}
	if err := cl.saveE2EE(); err != nil {
		return err
	}
	if !d.HoldsSigningKey() {
		fmt.Fprintf(cl.out, "this device waits for approval: on a device of yours already linked, run: parley devices approve %d\n", cl.st.DeviceID)
	}
	return nil
}

// saveE2EE writes the end-to-end state, readable only by its owner.
func (cl *cli) saveE2EE() error {
	if cl.c == nil || cl.c.E2EE() == nil {
		return nil
	}
	b, err := cl.c.E2EE().Marshal()
	if err != nil {
		return fmt.Errorf("encode end-to-end keys: %w", err)
	}
	path, err := cl.e2eePath()
	if err != nil {
		return err
	}
	return writePrivate(path, b)
}

// afterE2EE prints what the person should know (a contact's devices or
// keys changed, a message was rejected) and saves the state and the
// history; it updates the key backup always when final, at most every
// backupEvery otherwise.
func (cl *cli) afterE2EE(final bool) error {
	if cl.c == nil || cl.c.E2EE() == nil {
		return nil
	}
	for _, n := range cl.c.E2EE().Notices() {
		fmt.Fprintf(cl.out, "! %s: %s\n", cl.label(n.AccountID), n.Text)
	}
	if err := cl.saveE2EE(); err != nil {
		return err
	}
	return cl.saveHistory(final)
}

// safetyNumber prints the 60-digit safety number with a contact.
func (cl *cli) safetyNumber(args []string) error {
	fs := cl.flagSet("safety-number", "CONTACT")
	digits := fs.Bool("digits", false, "print only the number (for a QR code, or to compare in a script)")
	rest, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	id, err := cl.account(rest[0])
	if err != nil {
		return err
	}
	n, err := cl.freshSafetyNumber(id)
	if err != nil {
		return err
	}
	if *digits {
		fmt.Fprintln(cl.out, n)
		return nil
	}
	state := "not verified"
	if cl.c.E2EE().Verified(id) {
		state = "verified"
	}
	fmt.Fprintf(cl.out, "safety number with %s (%s):\n%s\n", cl.label(id), state, n)
	fmt.Fprintf(cl.out, "compare it with theirs, in person or on a call; if it matches, run: %s\n", cl.hint("verify", rest[0]))
	return nil
}

func (cl *cli) freshSafetyNumber(id int64) (string, error) {
	return cl.c.E2EE().FreshSafetyNumber(cl.ctx, cl.c, id)
}

// verify marks a contact verified; a later change of their keys or
// devices is then a warning.
func (cl *cli) verify(args []string) error {
	rest, err := parse(cl.flagSet("verify", "CONTACT"), args, 1, 1)
	if err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	id, err := cl.account(rest[0])
	if err != nil {
		return err
	}
	if _, err := cl.freshSafetyNumber(id); err != nil {
		return err
	}
	n, err := cl.c.E2EE().MarkVerified(id)
	if err != nil {
		return err
	}
	fmt.Fprintf(cl.out, "verified %s (safety number %s)\n", cl.label(id), n)
	return nil
}

// approveDevice signs a newly linked device into the account's list and
// sends it this device's history, sealed for it alone.
func (cl *cli) approveDevice(args []string) error {
	fs := cl.flagSet("devices approve", "DEVICE")
	noHistory := fs.Bool("no-history", false, "do not send this device's history to the new device")
	rest, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a device id", rest[0])
	}
	if err := cl.connect(); err != nil {
		return err
	}
	if err := cl.c.ApproveDevice(cl.ctx, id); err != nil {
		return fmt.Errorf("approve device %d: %w", id, err)
	}
	fmt.Fprintf(cl.out, "device %d approved: your contacts now encrypt to it\n", id)
	if *noHistory {
		return nil
	}
	return cl.sendHistory(id)
}
