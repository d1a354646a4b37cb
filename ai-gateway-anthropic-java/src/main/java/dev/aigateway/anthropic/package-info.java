/**
 * The official Anthropic Java SDK ({@code com.anthropic:anthropic-java}) governed by the gateway:
 * {@link dev.aigateway.anthropic.GovernedAnthropic} builds governed {@code AnthropicClient}s,
 * {@link dev.aigateway.anthropic.GovernedHttpClient} is the SDK HTTP client they use.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.anthropic;

import org.jspecify.annotations.NullMarked;
