/**
 * Backend credentials that are tokens: {@link
 * dev.aigateway.core.credentials.OAuthClientCredentials} (OAuth 2.0 client credentials, with a
 * client secret or a private-key JWT assertion) and {@link
 * dev.aigateway.core.credentials.RefreshingCredentials}, the cache every token provider shares
 * (refresh ahead of expiry, one refresh in flight at a time, invalidation when a backend answers
 * 401). Set one on a {@link dev.aigateway.core.routing.Backend}.
 *
 * <p>No secret held here (client secret, private key, access token) appears in a {@code
 * toString()}, a log line or an exception message.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.core.credentials;

import org.jspecify.annotations.NullMarked;
