package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/web/webtest"
)

// openChatWith starts a direct chat from p with the person at phone.
func openChatWith(p *webtest.Page, phone, name string) {
	p.Click("#new-chat")
	submitDialog(p, "#ask-phone", phone)
	p.WaitText(".chat-title", name)
}

// TestVoiceNote records voice notes in Chromium with its fake microphone
// (a beeping tone): one by holding the button and releasing it, one by a
// tap that keeps recording until Send, one cancelled. The other person
// plays the first: the audio has a duration, the waveform has its bars,
// playing moves the position, and the speed button changes playbackRate.
func TestVoiceNote(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t)
	b := webtest.Start(t, webtest.FakeMedia...)
	ana, ben := b.NewPage(t), b.NewPage(t)
	signUp(t, ana, srv, "+14155550801", "Ana")
	signUp(t, ben, srv, "+14155550802", "Ben")
	openChatWith(ana, "+14155550802", "Ben")
	send(ana, "Listen to this")
	ana.WaitVisible("#record")

	// Hold: press, speak for a second and a half, release: sent.
	ana.WaitJS(`(() => { const r = document.querySelector('#record').getBoundingClientRect();
		window.recXY = [r.x + r.width / 2, r.y + r.height / 2]; return true })()`, "the record button's place")
	xy := webtest.Eval[[]float64](ana, `window.recXY`)
	ana.Do(chromedp.MouseEvent(chromedp.MousePressed, xy[0], xy[1], chromedp.ButtonLeft, chromedp.ClickCount(1)))
	ana.WaitVisible(".voice-rec")
	ana.WaitText(".voice-timer", "0:01")
	ana.WaitJS(`document.querySelectorAll('.voice-levels rect').length > 0`, "live level bars")
	ana.Do(chromedp.Sleep(500*time.Millisecond), chromedp.MouseEvent(chromedp.MouseReleased, xy[0], xy[1], chromedp.ButtonLeft, chromedp.ClickCount(1)))
	ana.WaitJS(`document.querySelector('.voice-rec').classList.contains('hidden')`, "the recording panel to close")
	ana.WaitJS(`document.querySelectorAll('.msg.mine .voice').length === 1`, "the held note in the chat")

	// Tap: the recording stays on; cancel drops it.
	ana.Click("#record")
	ana.WaitVisible("#voice-send")
	ana.WaitText(".voice-timer", "0:01")
	ana.Click("#voice-cancel")
	ana.WaitJS(`document.querySelector('.voice-rec').classList.contains('hidden')`, "the panel to close on cancel")

	// Tap, then Send.
	ana.Click("#record")
	ana.WaitVisible("#voice-send")
	ana.WaitText(".voice-timer", "0:01")
	screenshot(t, ana, "app-voice-recording-desktop")
	ana.Click("#voice-send")
	ana.WaitJS(`document.querySelectorAll('.msg.mine .voice').length === 2`, "the tapped note in the chat")
	ana.WaitJS(`[...document.querySelectorAll('.msg.mine')].filter(m => m.querySelector('.voice')).every(m => m.dataset.status !== 'pending')`, "both notes sent")
	// The cancelled recording sent nothing.
	if n := webtest.Eval[int](ana, `document.querySelectorAll('.msg.mine').length`); n != 3 {
		t.Fatalf("got %d messages, want 3 (a text and two notes)", n)
	}
	ana.WaitText(".chat-item .chat-preview", "Voice message")

	// Ben plays the first note.
	ben.Click(`.chat-item`)
	ben.WaitJS(`document.querySelectorAll('.msg.theirs .voice').length === 2`, "two notes at Ben's")
	first := `document.querySelector('.msg.theirs .voice')`
	ms := webtest.Eval[int](ben, first+`.dataset.durationMs | 0`)
	if ms < 1500 || ms > 8000 {
		t.Errorf("the held note lasts %d ms, want about 2 s", ms)
	}
	ben.WaitJS(first+`.dataset.bars === '48'`, "the waveform's 48 bars")
	heights := webtest.Eval[[]float64](ben, `[...`+first+`.querySelectorAll('.voice-wave rect')].map(r => +r.getAttribute('height'))`)
	lo, hi := heights[0], heights[0]
	for _, v := range heights {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi <= 2 || hi == lo {
		t.Errorf("the waveform is flat: %v", heights)
	}
	ben.WaitJS(first+`.querySelector('audio').readyState >= 1 && !`+first+`.querySelector('.voice-play').disabled`, "the audio's metadata")
	ben.WaitJS(`(a => Number.isFinite(a.duration) && a.duration > 0)(`+first+`.querySelector('audio'))`, "a finite duration")
	dur := webtest.Eval[float64](ben, first+`.querySelector('audio').duration`)
	if d := dur * 1000; d < float64(ms)-1000 || d > float64(ms)+1000 {
		t.Errorf("the audio lasts %.0f ms, the note says %d ms", d, ms)
	}
	if typ := webtest.Eval[string](ben, first+`.dataset.type`); typ != "audio/webm" && typ != "audio/ogg" {
		t.Errorf("the note's media type is %q, want audio/webm or audio/ogg", typ)
	} else {
		t.Logf("Chromium recorded %s", typ)
	}

	// Speed: 1× → 1.5× → 2× → 1×.
	for _, want := range []string{"1.5", "2", "1"} {
		ben.Click(".msg.theirs .voice-speed")
		ben.WaitJS(fmt.Sprintf(`%s.querySelector('audio').playbackRate === %s`, first, want), "playbackRate "+want)
		ben.WaitText(".msg.theirs .voice-speed", want+"×")
	}
	ben.Click(".msg.theirs .voice-speed") // 1.5× for the play below
	ben.Click(".msg.theirs .voice-play")
	ben.WaitJS(first+`.classList.contains('playing')`, "the note to play")
	ben.WaitJS(first+`.querySelector('audio').currentTime > 0.3`, "the position to move")
	ben.WaitJS(first+`.querySelectorAll('rect.played').length > 0`, "the waveform to show the progress")
	if r := webtest.Eval[float64](ben, first+`.querySelector('audio').playbackRate`); r != 1.5 {
		t.Errorf("playing at %v, want 1.5", r)
	}
	ben.Click(".msg.theirs .voice-play")
	ben.WaitJS(first+`.querySelector('audio').paused`, "pause")
	screenshot(t, ben, "app-voice-desktop")
}
