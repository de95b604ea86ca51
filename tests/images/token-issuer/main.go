// A Docker registry token issuer for the image tests (the "token" auth of distribution 2.8),
// standard library only. At start it makes an RSA key and a self-signed certificate, writes the
// certificate to -cert (the registry's rootcertbundle), and signs RS256 JWTs whose x5c header
// carries that certificate, which is how distribution finds and trusts the signing key.
//
//	GET  /token?service=S&scope=repository:NAME:pull,push[&scope=...]   Basic auth optional
//	POST /token  (OAuth2 form: grant_type=password, username, password, service, scope)
//	GET  /healthz
//
// hive/s3cret gets every action it asks for; no credentials get pull on public/* only (a
// token with no access, so the registry answers 401); wrong credentials get 401 here.
// One line per token request goes to stderr, so a test can count them.
package main

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net/http"
	"os"
	"strings"
	"time"
)

const user, password = "hive", "s3cret"

type access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

type issuer struct {
	key     *rsa.PrivateKey
	certDER []byte
	name    string
	service string
}

func b64(data []byte) string { return base64.RawURLEncoding.EncodeToString(data) }

func (is *issuer) sign(subject string, grants []access) (string, error) {
	header, _ := json.Marshal(map[string]any{
		"typ": "JWT", "alg": "RS256",
		"x5c": []string{base64.StdEncoding.EncodeToString(is.certDER)},
	})
	now := time.Now().Unix()
	jti := make([]byte, 12)
	_, _ = rand.Read(jti)
	claims, _ := json.Marshal(map[string]any{
		"iss": is.name, "sub": subject, "aud": is.service,
		"iat": now, "nbf": now - 10, "exp": now + 300, "jti": b64(jti),
		"access": grants,
	})
	signed := b64(header) + "." + b64(claims)
	digest := sha256.Sum256([]byte(signed))
	signature, err := rsa.SignPKCS1v15(rand.Reader, is.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return signed + "." + b64(signature), nil
}

// grant answers one scope ("repository:test/busybox:pull,push") for this caller.
func grant(scope string, authed bool) (access, bool) {
	// The name may hold a colon only in the registry:catalog:* form; split from both ends.
	first, last := strings.Index(scope, ":"), strings.LastIndex(scope, ":")
	if first < 0 || first == last {
		return access{}, false
	}
	a := access{Type: scope[:first], Name: scope[first+1 : last]}
	for _, action := range strings.Split(scope[last+1:], ",") {
		public := a.Type == "repository" && strings.HasPrefix(a.Name, "public/") && action == "pull"
		if authed || public {
			a.Actions = append(a.Actions, action)
		}
	}
	return a, len(a.Actions) > 0
}

func (is *issuer) token(w http.ResponseWriter, r *http.Request) {
	var name, pass string
	var ok bool
	var scopes []string
	service := r.URL.Query().Get("service")
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		name, pass, ok = r.PostForm.Get("username"), r.PostForm.Get("password"), true
		service = r.PostForm.Get("service")
		scopes = strings.Fields(r.PostForm.Get("scope"))
		if r.PostForm.Get("grant_type") != "password" {
			http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
			return
		}
	} else {
		name, pass, ok = r.BasicAuth()
		for _, s := range r.URL.Query()["scope"] {
			scopes = append(scopes, strings.Fields(s)...)
		}
	}
	if service != is.service {
		log.Printf("token: service %q refused", service)
		http.Error(w, `{"errors":[{"code":"DENIED","message":"unknown service"}]}`,
			http.StatusBadRequest)
		return
	}
	if ok && (name != user || pass != password) {
		log.Printf("token: user=%q bad credentials", name)
		w.Header().Set("WWW-Authenticate", `Basic realm="hive-test-issuer"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`,
			http.StatusUnauthorized)
		return
	}
	grants := []access{}
	for _, scope := range scopes {
		if a, granted := grant(scope, ok); granted {
			grants = append(grants, a)
		}
	}
	subject := name
	if !ok {
		subject = "anonymous"
	}
	token, err := is.sign(subject, grants)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	granted, _ := json.Marshal(grants)
	log.Printf("token: %s %s user=%q scope=%q granted=%s", r.Method, r.URL.Path, subject,
		strings.Join(scopes, " "), granted)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token": token, "access_token": token, "expires_in": 300,
		"issued_at": time.Now().UTC().Format(time.RFC3339),
	})
}

func newIssuer(name, service string) (*issuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &issuer{key: key, certDER: der, name: name, service: service}, nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:5001", "listen address")
	certPath := flag.String("cert", "issuer.crt", "where to write the signing certificate (PEM)")
	name := flag.String("issuer", "hive-test-issuer", "the iss claim; the registry's auth.token.issuer")
	service := flag.String("service", "hive-test-registry", "the registry's auth.token.service")
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)

	is, err := newIssuer(*name, *service)
	if err != nil {
		log.Fatal(err)
	}
	// Written whole before the port opens: whoever sees /healthz answer can read the file.
	pemText := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: is.certDER})
	if err := os.WriteFile(*certPath+".tmp", pemText, 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(*certPath+".tmp", *certPath); err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/token", is.token)
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	log.Printf("token issuer on %s, certificate in %s", *addr, *certPath)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
