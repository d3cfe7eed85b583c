package cloudapi

import (
	"encoding/json"
	"net/http"

	"github.com/parleyhq/parley/business"
)

// A number's lifecycle and settings (business/numbers.go;
// docs/CLOUD-API-ENDPOINTS.md): register, deregister, request_code,
// verify_code, the two-step PIN (POST /{phone-number-id} with pin) and
// settings.

func success(w http.ResponseWriter) { writeJSON(w, http.StatusOK, map[string]bool{"success": true}) }

func registerNumber(b *business.Service) bizFunc {
	type req struct {
		MessagingProduct       string `json:"messaging_product"`
		PIN                    string `json:"pin"`
		DataLocalizationRegion string `json:"data_localization_region"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		if err := b.Register(r.Context(), n, in.PIN); err != nil {
			return err
		}
		success(w)
		return nil
	}
}

func deregisterNumber(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		if err := b.Deregister(r.Context(), n); err != nil {
			return err
		}
		success(w)
		return nil
	}
}

func requestCode(b *business.Service) bizFunc {
	type req struct {
		CodeMethod string `json:"code_method"`
		Language   string `json:"language"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		if err := b.RequestNumberCode(r.Context(), biz, n, in.CodeMethod); err != nil {
			return err
		}
		success(w)
		return nil
	}
}

func verifyCode(b *business.Service) bizFunc {
	type req struct {
		Code string `json:"code"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		if in.Code == "" {
			return invalid("The parameter code is required.")
		}
		if err := b.VerifyNumberCode(r.Context(), biz, n, in.Code); err != nil {
			return err
		}
		success(w)
		return nil
	}
}

// setPIN answers POST /{phone-number-id} with {"pin": "123456"}: Meta's
// two-step verification.
func setPIN(b *business.Service, n business.BusinessNumber) bizFunc {
	type req struct {
		PIN string `json:"pin"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		var in req
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		if err := b.SetPIN(r.Context(), n, in.PIN); err != nil {
			return err
		}
		success(w)
		return nil
	}
}

func getNumberSettings(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		s, err := b.PhoneSettings(r.Context(), n)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s)
		return nil
	}
}

func updateNumberSettings(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		var in map[string]json.RawMessage
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		if err := b.UpdatePhoneSettings(r.Context(), n, in); err != nil {
			return err
		}
		success(w)
		return nil
	}
}
