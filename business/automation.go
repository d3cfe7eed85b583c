package business

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley"
)

// Conversational automation (Meta's conversational_automation): the
// number's ice-breakers (prompts) and commands, which a customer's client
// shows in a chat with the number, and the welcome switch. With
// enable_welcome_message on, a customer who opens a chat with the number
// for the first time makes a request_welcome webhook, to which the
// business may answer with a free-form welcome (docs/CLOUD-API-ENDPOINTS.md).

// Automation is a number's conversational automation.
type Automation struct {
	EnableWelcomeMessage bool                `json:"enable_welcome_message"`
	Prompts              []string            `json:"prompts,omitempty"`
	Commands             []AutomationCommand `json:"commands,omitempty"`
}

// AutomationCommand is a command a customer can type after a slash.
type AutomationCommand struct {
	Name        string `json:"command_name"`
	Description string `json:"command_description"`
}

// Meta's limits on conversational automation.
const (
	MaxPrompts            = 4
	MaxPromptLength       = 80
	MaxCommands           = 30
	MaxCommandName        = 32
	MaxCommandDescription = 256
)

// AutomationUpdate changes the fields that are not nil.
type AutomationUpdate struct {
	EnableWelcomeMessage *bool
	Prompts              *[]string
	Commands             *[]AutomationCommand
}

// Automation returns the number's conversational automation (all off and
// empty when never set).
func (b *Service) Automation(ctx context.Context, n BusinessNumber) (Automation, error) {
	var a Automation
	_, err := b.getSetting(ctx, n, settingAutomation, &a)
	return a, err
}

// UpdateAutomation changes the number's conversational automation.
// CloudError 100 when a prompt or command breaks Meta's limits: at most 4
// prompts of 1 to 80 characters, at most 30 commands, each named by 1 to
// 32 characters without spaces or a leading slash, names unique, each
// with a description of 1 to 256 characters.
func (b *Service) UpdateAutomation(ctx context.Context, n BusinessNumber, u AutomationUpdate) (Automation, error) {
	a, err := b.Automation(ctx, n)
	if err != nil {
		return a, err
	}
	if u.EnableWelcomeMessage != nil {
		a.EnableWelcomeMessage = *u.EnableWelcomeMessage
	}
	if u.Prompts != nil {
		if err := validPrompts(*u.Prompts); err != nil {
			return a, err
		}
		a.Prompts = *u.Prompts
	}
	if u.Commands != nil {
		if err := validCommands(*u.Commands); err != nil {
			return a, err
		}
		a.Commands = *u.Commands
	}
	return a, b.putSetting(ctx, n, settingAutomation, a)
}

func validPrompts(ps []string) error {
	if len(ps) > MaxPrompts {
		return automationErr("prompts: at most %d ice-breakers", MaxPrompts)
	}
	for i, p := range ps {
		if n := utf8.RuneCountInString(strings.TrimSpace(p)); n == 0 || n > MaxPromptLength {
			return automationErr("prompts[%d]: give 1 to %d characters", i, MaxPromptLength)
		}
	}
	return nil
}

func validCommands(cs []AutomationCommand) error {
	if len(cs) > MaxCommands {
		return automationErr("commands: at most %d commands", MaxCommands)
	}
	seen := map[string]bool{}
	for i, c := range cs {
		if n := utf8.RuneCountInString(c.Name); n == 0 || n > MaxCommandName || strings.ContainsAny(c.Name, " \t\n/") {
			return automationErr("commands[%d]: command_name needs 1 to %d characters, without spaces or a slash", i, MaxCommandName)
		}
		if n := utf8.RuneCountInString(strings.TrimSpace(c.Description)); n == 0 || n > MaxCommandDescription {
			return automationErr("commands[%d]: command_description needs 1 to %d characters", i, MaxCommandDescription)
		}
		key := strings.ToLower(c.Name)
		if seen[key] {
			return automationErr("commands: command_name %q appears twice", c.Name)
		}
		seen[key] = true
	}
	return nil
}

func automationErr(format string, args ...any) error {
	return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf(format, args...))
}

// welcomeWanted reports whether a customer's request_welcome makes a
// webhook: the number has the welcome message on and the customer has
// never written to it. A second opening, or one after a message, makes
// nothing, as on Meta.
func (in *inboundBatch) welcomeWanted(ctx context.Context, conv *Conversation) (bool, error) {
	if !conv.LastInboundAt.IsZero() {
		return false, nil
	}
	a, err := in.b.Automation(ctx, in.n)
	if err != nil && parley.ErrorCode(err) != parley.ENotFound {
		return false, err
	}
	return a.EnableWelcomeMessage, nil
}
