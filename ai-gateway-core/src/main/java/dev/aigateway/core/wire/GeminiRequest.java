package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.CallMatch;
import java.util.List;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * A Gemini {@code generateContent} request: the model from the path (as recognised), the output
 * allowance from {@code generationConfig.maxOutputTokens} (times {@code candidateCount}), the body
 * parsed as a tree on first use (at most once, never above the parse bound). Thread-safe.
 */
final class GeminiRequest extends TreeRequest {

  /** The body field the output allowance is read from. */
  static final String MAX_OUTPUT_TOKENS = "generationConfig.maxOutputTokens";

  private final GeminiFormat format;

  GeminiRequest(
      GeminiFormat format, CallMatch match, ClientRequest request, int maxParsedBodyBytes) {
    super(format, match.deployment(), match, request, maxParsedBodyBytes);
    this.format = format;
  }

  /** This request with {@code body} in place of the application's bytes (a redacted prompt). */
  GeminiRequest withBody(byte[] body) {
    return new GeminiRequest(format, match, clientWith(body), maxParsedBodyBytes());
  }

  /** {@code gcp.vertex_ai} for a path under a project and location, else {@code gcp.gemini}. */
  @Override
  public String provider() {
    String path = encodedPath();
    return path.contains("/projects/") && path.contains("/locations/")
        ? "gcp.vertex_ai"
        : "gcp.gemini";
  }

  /** The pointer of {@code generationConfig.maxOutputTokens}. */
  private static final String MAX_OUTPUT_TOKENS_POINTER = "/generationConfig/maxOutputTokens";

  /** The pointer of {@code generationConfig.candidateCount}. */
  private static final String CANDIDATE_COUNT_POINTER = "/generationConfig/candidateCount";

  private static final RequestMembers MEMBER_READER =
      RequestMembers.of(List.of(MAX_OUTPUT_TOKENS_POINTER, CANDIDATE_COUNT_POINTER));

  @Override
  public @Nullable String maxOutputTokensField() {
    return maxOutputTokens().isPresent() ? MAX_OUTPUT_TOKENS : null;
  }

  /** Whether the call is {@code :streamGenerateContent} (either framing). */
  @Override
  public boolean stream() {
    return format.framing() != GeminiFormat.Framing.DOCUMENT;
  }

  /** Gemini's allowance is read by {@link #maxOutputTokens()} itself. */
  @Override
  List<String> allowanceFields() {
    return List.of();
  }

  /** The allowance and the candidate count, read without a tree when the body allows. */
  @Override
  RequestMembers memberReader() {
    return MEMBER_READER;
  }

  /**
   * {@code generationConfig.maxOutputTokens} when it is a whole, non-negative number, or a string
   * of digits as Gemini reads one ({@link #protoCount}; {@link Long#MAX_VALUE} when beyond a long,
   * so that it is refused); a negative, fractional or non-numeric one reads as absent (the default
   * allowance), as other formats read theirs.
   */
  @Override
  public OptionalLong maxOutputTokens() {
    long max = protoCount(present(member(MAX_OUTPUT_TOKENS_POINTER)));
    return max >= 0 ? OptionalLong.of(max) : OptionalLong.empty();
  }

  /**
   * {@code generationConfig.candidateCount} (a string of digits as Gemini reads one, {@link
   * #protoCount}): 1 when absent or not a positive whole number, {@link Integer#MAX_VALUE} when
   * beyond an int (so that the allowance it multiplies is refused, not read as one candidate's).
   */
  @Override
  public int choices() {
    return RequestCounts.choices(protoCount(present(member(CANDIDATE_COUNT_POINTER))));
  }

  /** Gemini names the choices {@code generationConfig.candidateCount}. */
  @Override
  public String choicesField() {
    return "generationConfig.candidateCount";
  }

  /** Gemini's sampling settings, which {@link #parameter} reads when the top level lacks one. */
  @Override
  @Nullable String settingsMember() {
    return "generationConfig";
  }

  /**
   * A count as Gemini reads it: by the proto3 JSON mapping, an int32 may be written as a number or
   * as a string of one ({@code "8"}), which Gemini takes as that number; so a string of digits
   * counts as the number it spells ({@link Long#MAX_VALUE} beyond a long), and other text as
   * absent, as {@link RequestCounts#count} reads anything that is not a number.
   */
  private static long protoCount(@Nullable JsonNode value) {
    if (value == null || !value.isTextual()) {
      return RequestCounts.count(value);
    }
    String text = value.textValue();
    if (text.isEmpty()) {
      return -1;
    }
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return -1;
      }
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException beyondALong) {
      return Long.MAX_VALUE;
    }
  }

  private static @Nullable JsonNode present(@Nullable JsonNode value) {
    return value == null || value.isNull() ? null : value;
  }

  @Override
  public String toString() {
    return "GeminiRequest{" + format.name() + ", model=" + model() + "}";
  }
}
