/**
 * Spring Boot auto-configuration of the gateway: an {@link dev.aigateway.core.AiGateway} bean built
 * from {@code ai-gateway.*} properties ({@link dev.aigateway.spring.AiGatewayProperties}), its
 * metrics in the application's {@code MeterRegistry}, Spring AI's OpenAI chat model governed
 * through its OkHttp hook, and the application's {@code OkHttpClient} beans wrapped.
 */
@NullMarked
package dev.aigateway.spring;

import org.jspecify.annotations.NullMarked;
