/**
 * Consumer access control: an {@link dev.aigateway.core.access.AccessPolicy} of {@link
 * dev.aigateway.core.access.AccessRule}s, per consumer and per role, says which models, operations
 * and backends a caller may use, whether it may stream, and how large an output allowance one call
 * may ask for. The {@link dev.aigateway.core.access.AccessStage} checks every call before anything
 * is reserved, looked up or sent: a denied call is answered 403 {@code access_denied} in the
 * provider's error shape and never leaves the process.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.core.access;

import org.jspecify.annotations.NullMarked;
