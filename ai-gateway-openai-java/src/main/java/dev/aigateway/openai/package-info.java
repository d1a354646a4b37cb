/**
 * The official OpenAI Java SDK ({@code com.openai:openai-java}) governed by the gateway: {@link
 * dev.aigateway.openai.GovernedOpenAi} builds governed {@code OpenAIClient}s, {@link
 * dev.aigateway.openai.GovernedHttpClient} is the SDK HTTP client they use.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.openai;

import org.jspecify.annotations.NullMarked;
