/**
 * External content checks ({@link dev.aigateway.api.spi.ContentCheck}) over an {@code OkHttpClient}
 * the application passes: Azure AI Content Safety's text analysis ({@link
 * dev.aigateway.okhttp.safety.AzureTextAnalysis}) and Prompt Shields ({@link
 * dev.aigateway.okhttp.safety.AzurePromptShields}), and OpenAI's moderation endpoint ({@link
 * dev.aigateway.okhttp.safety.OpenAiModeration}). Give them to {@code
 * ContentSafety.Builder#externalCheck}.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.okhttp.safety;

import org.jspecify.annotations.NullMarked;
