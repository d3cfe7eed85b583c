package ads

import "testing"

// FuzzParseToken feeds outside input to the token parser: it must never
// panic, and a token it accepts must sign back to itself.
func FuzzParseToken(f *testing.F) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	f.Add(Served{Campaign: 1, Creative: 0, Placement: PlacementUpdatesFeed, Country: "BR", Day: 20000, Price: 2000000}.Token(secret))
	f.Add("")
	f.Add("a.b")
	f.Fuzz(func(t *testing.T, tok string) {
		s, err := ParseToken(secret, tok)
		if err != nil {
			return
		}
		if _, err := ParseToken(secret, s.Token(secret)); err != nil {
			t.Fatalf("accepted %q but not its re-signing: %v", tok, err)
		}
	})
}

func TestTokenRoundTrip(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	s := Served{Campaign: 7, Creative: 2, Placement: PlacementInChannel, ChannelID: 9, Country: "BR", Day: 20000, Price: 1_500_000}
	got, err := ParseToken(secret, s.Token(secret))
	if err != nil || got != s {
		t.Fatalf("got %+v %v, want %+v", got, err, s)
	}
	if _, err := ParseToken([]byte("another secret, another node...."), s.Token(secret)); err == nil {
		t.Fatal("a token signed under another secret was accepted")
	}
	tampered := Served{Campaign: 7, Creative: 2, Placement: PlacementInChannel, ChannelID: 9, Country: "BR", Day: 20000, Price: 1}
	tok := tampered.Token([]byte("x"))
	if _, err := ParseToken(secret, tok); err == nil {
		t.Fatal("a forged price was accepted")
	}
	if PersonKey(secret, 1, 7, 20000) == PersonKey(secret, 1, 7, 20001) || PersonKey(secret, 1, 7, 20000) == PersonKey(secret, 1, 8, 20000) {
		t.Fatal("a person's pseudonym links days or campaigns")
	}
}
