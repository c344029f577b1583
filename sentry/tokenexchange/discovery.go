package tokenexchange

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// tokenEndpoint returns the configured endpoint, or discovers it once from the issuer's metadata.
func (s *Source) tokenEndpoint(ctx context.Context) (string, error) {
	if s.endpoint != "" {
		return s.endpoint, nil
	}
	issuer := s.cfg.Issuer
	u, _ := url.Parse(issuer)
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	// RFC 8414 section 3.1: the well-known segment goes between the host and the issuer's path.
	wellKnown := u.Scheme + "://" + u.Host + "/.well-known/oauth-authorization-server" + path
	// OpenID Connect Discovery 1.0 section 4: appended to the issuer.
	openID := u.Scheme + "://" + u.Host + path + "/.well-known/openid-configuration"
	var meta struct {
		Issuer              string   `json:"issuer"`
		TokenEndpoint       string   `json:"token_endpoint"`
		GrantTypesSupported []string `json:"grant_types_supported"`
	}
	var where string
	for _, target := range []string{wellKnown, openID} {
		resp, data, err := s.do(ctx, "metadata "+target, func() (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		})
		if err != nil {
			return "", err
		}
		if resp.StatusCode == http.StatusNotFound {
			continue
		}
		if resp.StatusCode != http.StatusOK {
			return "", &Error{Msg: fmt.Sprintf("could not read the authorization server metadata of %s: %s answered %d %s",
				issuer, target, resp.StatusCode, strings.ToLower(http.StatusText(resp.StatusCode))), Temporary: resp.StatusCode >= 500}
		}
		if err := json.Unmarshal(data, &meta); err != nil {
			return "", &Error{Msg: fmt.Sprintf("the metadata at %s is not JSON metadata: %v", target, err)}
		}
		where = target
		break
	}
	if where == "" {
		return "", &Error{Msg: fmt.Sprintf("%s has no authorization server metadata (%s and %s answered 404); set the token endpoint directly", issuer, wellKnown, openID)}
	}
	// RFC 8414 section 3.3: metadata naming another issuer must not be used.
	if strings.TrimSuffix(meta.Issuer, "/") != strings.TrimSuffix(issuer, "/") {
		return "", &Error{Msg: fmt.Sprintf("the metadata at %s names the issuer %q, not %q; it is not used (RFC 8414 section 3.3)", where, s.clean(meta.Issuer), issuer)}
	}
	if meta.TokenEndpoint == "" {
		return "", &Error{Msg: fmt.Sprintf("the metadata at %s has no token_endpoint", where)}
	}
	if err := CheckURL(meta.TokenEndpoint); err != nil {
		return "", &Error{Msg: fmt.Sprintf("the metadata at %s gives a token endpoint that cannot be used: %v", where, err)}
	}
	if len(meta.GrantTypesSupported) > 0 && !contains(meta.GrantTypesSupported, GrantType) {
		return "", &Error{Msg: fmt.Sprintf("%s does not offer token exchange: its metadata lists the grant types %s, not %s", issuer,
			s.clean(strings.Join(meta.GrantTypesSupported, ", ")), GrantType), Code: "unsupported_grant_type"}
	}
	s.endpoint = meta.TokenEndpoint
	if s.cfg.Debugf != nil {
		s.cfg.Debugf("token exchange: %s has the token endpoint %s (from %s)", issuer, s.endpoint, where)
	}
	return s.endpoint, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
