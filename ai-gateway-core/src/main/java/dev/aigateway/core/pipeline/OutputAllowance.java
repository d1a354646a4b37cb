package dev.aigateway.core.pipeline;

import dev.aigateway.api.Operation;
import dev.aigateway.api.Usage;
import dev.aigateway.core.tokens.TokenCounts;
import dev.aigateway.core.wire.WireFormat;
import dev.aigateway.core.wire.WireRequest;

/**
 * The output tokens a call may produce, as its request bounds them: the allowance per choice
 * ({@code max_completion_tokens}, {@code max_tokens} or {@code max_output_tokens}, else the
 * gateway's default) times the choices ({@code n}). Embeddings produce none. The product saturates
 * at {@link Long#MAX_VALUE}; above {@link Usage#MAX_TOKENS} the gateway cannot govern the call and
 * answers it with a 400 ({@link #rejection()}).
 *
 * @param field the request field that set the allowance per choice; null for the default
 * @param perChoice the output tokens per choice
 * @param choices the choices asked for; {@link Integer#MAX_VALUE} also stands for more
 * @param choicesField the request field that asks for the choices ({@code n} for OpenAI)
 */
record OutputAllowance(String field, long perChoice, int choices, String choicesField) {

  /** The allowance of {@code request}, with {@code defaultPerChoice} when it sets none. */
  static OutputAllowance of(WireRequest request, long defaultPerChoice) {
    if (request.operation() == Operation.EMBEDDINGS) {
      return new OutputAllowance(null, 0, 1, request.choicesField());
    }
    String field = request.maxOutputTokensField();
    return new OutputAllowance(
        field,
        request.maxOutputTokens().orElse(defaultPerChoice),
        request.choices(),
        request.choicesField());
  }

  /**
   * The {@linkplain #tokens() tokens} of {@code request}'s allowance, as {@link #of} would give
   * them, without building the allowance.
   */
  static long tokens(WireRequest request, long defaultPerChoice) {
    if (request.operation() == Operation.EMBEDDINGS) {
      return 0;
    }
    return TokenCounts.product(
        request.maxOutputTokens().orElse(defaultPerChoice), request.choices());
  }

  /** Every choice's allowance together; {@link Long#MAX_VALUE} when that does not fit a long. */
  long tokens() {
    return TokenCounts.product(perChoice, choices);
  }

  /**
   * The 400 answer for an allowance above {@link Usage#MAX_TOKENS}, in the shape of the call's
   * {@code format} (OpenAI's: {@code invalid_request_error}), naming the field and the bound; null
   * when it is within it.
   */
  Rejection rejection(WireFormat format) {
    long tokens = tokens();
    if (tokens <= Usage.MAX_TOKENS) {
      return null;
    }
    String param = field != null ? field : choicesField;
    String lower =
        field == null ? choicesField : choices > 1 ? field + " or " + choicesField : field;
    String message =
        "Invalid '"
            + param
            + "': the call may produce "
            + perChoice
            + " output tokens per choice"
            + (field == null ? " (the gateway's default allowance)" : "")
            + " for "
            + choices
            + (choices == 1
                ? " choice"
                : choices == Integer.MAX_VALUE ? " or more choices" : " choices")
            + ", "
            + (tokens == Long.MAX_VALUE ? "more than " + Long.MAX_VALUE : tokens)
            + " in all, above the "
            + Usage.MAX_TOKENS
            + " tokens the gateway can govern in one call"
            + " (Usage.MAX_TOKENS). Lower "
            + lower
            + ".";
    return Rejections.invalidRequest(format, message, param, "integer_above_max_value");
  }
}
