/**
 * Token counting: {@link dev.aigateway.core.tokens.TokenCounter} estimates prompts and counts texts
 * with jtokkit's encodings, as OpenAI counts them.
 */
package dev.aigateway.core.tokens;
