package bot

import (
	"errors"
	"fmt"
)

// Error codes. Each layer maps them to its own vocabulary: the chat reply
// shows the message, HTTP maps the code to a status.
const (
	ECONFLICT  = "conflict"
	EFORBIDDEN = "forbidden"
	EINTERNAL  = "internal"
	EINVALID   = "invalid"
	ENOTFOUND  = "not_found"
	// EUNAVAILABLE: the chat platform or another service refused or failed;
	// its message is safe to show and says which.
	EUNAVAILABLE = "unavailable"
)

// Error is an application error: a code for machines and a one-line message
// for people that says what was wrong and what to type instead.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an application error, EINTERNAL for any other
// error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of an application error. Internal
// errors are not shown to chat users verbatim: they may hold SQL or tokens.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	}
	return "internal error; the details are in warroom's log"
}
