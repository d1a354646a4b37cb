/**
 * Azure SDK clients governed by the gateway: {@link dev.aigateway.azure.sdk.GovernedAzureSdk} gives
 * the {@code azure-core} HTTP client (over a wrapped OkHttp client) and the retry policy to build
 * them with, for {@code azure-ai-openai}'s {@code OpenAIClientBuilder} and any other client built
 * on {@code azure-core}.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.azure.sdk;

import org.jspecify.annotations.NullMarked;
