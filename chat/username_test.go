package chat

import "testing"

// TestValidUsername is WhatsApp's username format, case folded.
func TestValidUsername(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"zoe", "zoe", true},
		{"Zoe.Nandu_42", "zoe.nandu_42", true},
		{"a1_", "a1_", true},
		{"abcdefghijklmnopqrstuvwxyz012345678", "abcdefghijklmnopqrstuvwxyz012345678", true}, // 35
		{"ab", "", false},
		{"abcdefghijklmnopqrstuvwxyz0123456789", "", false}, // 36
		{"123", "", false},
		{"_.1", "", false},
		{".zoe", "", false},
		{"zoe.", "", false},
		{"zo..e", "", false},
		{"wwwzoe", "", false},
		{"zoe.com", "", false},
		{"zoe.html", "", false},
		{"zoë", "", false},
		{"zoe nandu", "", false},
		{"@zoe", "", false},
	}
	for _, tt := range tests {
		got, err := ValidUsername(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ValidUsername(%q): got %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
