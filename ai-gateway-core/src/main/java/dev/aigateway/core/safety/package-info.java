/**
 * Content safety: configured with {@link dev.aigateway.core.safety.ContentSafety} (built-in prompt
 * caps, deny lists, personal-data detectors of {@link dev.aigateway.core.safety.PiiDetector}, and
 * external {@link dev.aigateway.api.spi.ContentCheck}s), run by {@link
 * dev.aigateway.core.safety.SafetyStage} before a call is sent and on streamed answers as they
 * pass.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.core.safety;

import org.jspecify.annotations.NullMarked;
