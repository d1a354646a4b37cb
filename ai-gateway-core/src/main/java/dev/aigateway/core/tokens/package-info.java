/**
 * Token counting: {@link dev.aigateway.core.tokens.TokenCounter} estimates prompts and counts texts
 * with jtokkit's encodings, as OpenAI counts them.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.core.tokens;

import org.jspecify.annotations.NullMarked;
