/**
 * Token counting: {@link dev.aigateway.core.tokens.TokenCounter} counts texts with jtokkit's
 * encodings, as OpenAI counts them. A request's prompt is counted with it by {@link
 * dev.aigateway.core.Prompts#countTokens dev.aigateway.core.Prompts}: reading a request is the wire
 * formats' business, and this package depends on no other package of the core.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.core.tokens;

import org.jspecify.annotations.NullMarked;
