# The benchmark's peer: the two cross-tenant rules of mailflow-guard written the way a team would
# write them in Rego over the exported inventory JSON (tenants, inboundConnectors, sendConnectors,
# certificates, as `parseInventory` reads it). Evaluated by bench/run.ts with
#   opa eval --data policy.rego --input inventory.json 'data.mailflow.violations' --format json
# Not used by the product; the engine's rules are the reference.
package mailflow

# --- certificate-not-shared-across-tenants ---------------------------------------------------

cert_by_thumbprint[tp] := c if {
	some c in input.certificates
	tp := upper(c.thumbprint)
}

# [thumbprint, tenant]: a certificate serves its own tenant and every tenant whose connector presents it.
thumbprint_claims contains [tp, c.tenant] if {
	some c in input.certificates
	c.tenant
	tp := upper(c.thumbprint)
}

thumbprint_claims contains [tp, tenant] if {
	some s in input.sendConnectors
	tp := upper(s.certificateThumbprint)
	cert_by_thumbprint[tp]
	some tenant in s.tenants
}

thumbprint_claims contains [tp, c.tenant] if {
	some c in input.inboundConnectors
	tp := upper(c.certificateThumbprint)
	cert_by_thumbprint[tp]
}

violations contains {"rule": "certificate-thumbprint", "thumbprint": tp, "tenants": sort(tenants)} if {
	some [tp, _] in thumbprint_claims
	tenants := {t | some [tp2, t] in thumbprint_claims; tp2 == tp}
	count(tenants) > 1
}

presented_names(c) := c.dnsNames if count(c.dnsNames) > 0

presented_names(c) := [c.commonName] if {
	count(c.dnsNames) == 0
	c.commonName
}

# [name, tenant]: the name an OnPremises connector expects, and every name a tenant's certificate presents.
name_claims contains [c.tlsSenderCertificateName, c.tenant] if {
	some c in input.inboundConnectors
	c.tlsSenderCertificateName
}

name_claims contains [name, tenant] if {
	some [tp, tenant] in thumbprint_claims
	some name in presented_names(cert_by_thumbprint[tp])
}

tenants_by_name[name] := tenants if {
	some [name, _] in name_claims
	tenants := {t | some [n, t] in name_claims; n == name}
}

parent(name) := substring(name, indexof(name, ".") + 1, -1)

# A wildcard presented for one tenant covers the single-label children claimed by others.
name_owners(name) := tenants_by_name[name] | object.get(tenants_by_name, concat("", ["*.", parent(name)]), set()) if {
	not startswith(name, "*.")
}

name_owners(name) := tenants_by_name[name] if startswith(name, "*.")

violations contains {"rule": "certificate-name", "name": name, "tenants": sort(owners)} if {
	some name, _ in tenants_by_name
	owners := name_owners(name)
	count(owners) > 1
}

# --- sender-ip-not-shared ----------------------------------------------------------------------

exchange_online_ranges := ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17"]

non_public := [
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
	"100.64.0.0/10", "0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4",
]

as_cidr(raw) := raw if contains(raw, "/")

as_cidr(raw) := concat("", [raw, "/32"]) if not contains(raw, "/")

ip_claims contains {"tenant": c.tenant, "connector": c.name, "block": block} if {
	some c in input.inboundConnectors
	c.connectorType == "OnPremises"
	some raw in c.senderIPAddresses
	regex.match(`^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(/[0-9]+)?$`, raw)
	block := as_cidr(raw)
	not is_non_public(block)
}

is_non_public(block) if {
	some range in non_public
	net.cidr_intersects(block, range)
}

claim_key(c) := concat("|", [c.tenant, c.connector, c.block])

violations contains {"rule": "sender-ip-overlap", "pair": sort([claim_key(a), claim_key(b)])} if {
	some a in ip_claims
	some b in ip_claims
	a.tenant != b.tenant
	net.cidr_intersects(a.block, b.block)
}

violations contains {"rule": "sender-ip-shared-range", "claim": claim_key(a), "range": range} if {
	some a in ip_claims
	some range in exchange_online_ranges
	net.cidr_intersects(a.block, range)
}
