/**
 * One API in front of many providers: an OpenAI chat completions call sent to an Anthropic
 * Messages, Amazon Bedrock Converse or Google Gemini backend of the same pool, its request
 * translated for the backend and the backend's answer (JSON, stream, usage, finish reasons, tool
 * calls, errors) translated back, so that failover can cross providers. {@link
 * dev.aigateway.core.translate.Translations} picks the translator for a backend; what each
 * translates, drops or refuses is tabled in {@code docs/providers.md} ("One API in front of many
 * providers"). Internal to the library; may change in any release.
 */
@NullMarked
package dev.aigateway.core.translate;

import org.jspecify.annotations.NullMarked;
