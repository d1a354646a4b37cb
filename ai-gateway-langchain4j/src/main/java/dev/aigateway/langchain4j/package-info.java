/**
 * LangChain4j governed by the gateway: {@link dev.aigateway.langchain4j.GovernedHttpClientBuilder}
 * is LangChain4j's HTTP client SPI over an OkHttp client the gateway wraps, for its OpenAI chat and
 * streaming chat models and any other model built on that SPI.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.langchain4j;

import org.jspecify.annotations.NullMarked;
