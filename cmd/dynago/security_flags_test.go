package main

import (
	"strings"
	"testing"
	"time"

	"github.com/dynago/dynago/resp"
)

func TestSecurityFlagDefaults(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.security != (resp.Security{}) {
		t.Errorf("security %+v, want none: no password, protected mode on, no TLS", o.security)
	}
	want := resp.Limits{MaxClients: 10000, ProtoMaxBulkLen: 512 << 20, QueryBufferLimit: 1 << 30}
	if o.limits != want {
		t.Errorf("limits %+v, want Redis's defaults %+v", o.limits, want)
	}
}

func TestSecurityFlags(t *testing.T) {
	o, err := parseFlags([]string{"--bind", "10.0.0.5", "--port", "0", "--tls-port", "6380",
		"--tls-cert-file", "c.pem", "--tls-key-file", "k.pem", "--tls-ca-cert-file", "ca.pem",
		"--requirepass", "pw", "--protected-mode", "no", "--maxclients", "5", "--timeout", "30",
		"--proto-max-bulk-len", "1048576", "--client-query-buffer-limit", "2097152"})
	if err != nil {
		t.Fatal(err)
	}
	wantSec := resp.Security{RequirePass: "pw", NoProtectedMode: true, TLSAddr: "10.0.0.5:6380",
		TLSCertFile: "c.pem", TLSKeyFile: "k.pem", TLSCACertFile: "ca.pem"}
	if o.security != wantSec {
		t.Errorf("security %+v, want %+v", o.security, wantSec)
	}
	wantLim := resp.Limits{MaxClients: 5, Timeout: 30 * time.Second, ProtoMaxBulkLen: 1 << 20, QueryBufferLimit: 2 << 20}
	if o.limits != wantLim {
		t.Errorf("limits %+v, want %+v", o.limits, wantLim)
	}
	if o.nodeName != "10.0.0.5:6380" {
		t.Errorf("node name %q, want the TLS address when plain TCP is off", o.nodeName)
	}
}

func TestSecurityFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--port", "0"}, "--port 0 turns plain TCP off, which needs --tls-port"},
		{[]string{"--tls-port", "6380"}, "--tls-port needs --tls-cert-file and --tls-key-file"},
		{[]string{"--tls-port", "6380", "--tls-cert-file", "c.pem"}, "--tls-port needs --tls-cert-file and --tls-key-file"},
		{[]string{"--tls-ca-cert-file", "ca.pem"}, "need --tls-port"},
		{[]string{"--tls-port", "70000"}, "--tls-port must be between 0 and 65535"},
		{[]string{"--protected-mode", "maybe"}, `--protected-mode must be yes or no, not "maybe"`},
		{[]string{"--maxclients", "0"}, "--maxclients must be at least 1"},
		{[]string{"--timeout", "-1"}, "--timeout must be 0 (never) or a number of seconds"},
		{[]string{"--proto-max-bulk-len", "1000"}, "--proto-max-bulk-len must be between 1048576"},
		{[]string{"--client-query-buffer-limit", "1000"}, "--client-query-buffer-limit must be between 1048576"},
	} {
		_, err := parseFlags(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}
