/**
 * Callers from validated JWT bearer tokens: {@link dev.aigateway.jwt.JwtCallerResolver} checks a
 * token's signature against an issuer's JWKS (cached, refetched on an unknown key id at a bounded
 * rate), its issuer, audience, expiry and not-before time, and maps its claims to the call's
 * consumer id and roles for the gateway's access rules. Built on Nimbus JOSE + JWT.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.jwt;

import org.jspecify.annotations.NullMarked;
