package dev.aigateway.core.translate;

/**
 * A protocol an OpenAI chat call can be translated to, and which of OpenAI's optional features it
 * has an equivalent of. What a target lacks is refused when the request uses it.
 */
enum Target {
  ANTHROPIC("Anthropic Messages", true, false, false, true, true, false, false, 1),
  BEDROCK("Amazon Bedrock Converse", false, false, false, false, false, true, false, 1),
  GEMINI("Google Gemini", false, true, true, false, true, true, true, 2);

  final String label;

  /** Images given by an http(s) URL (not only as data URLs). */
  final boolean imageUrls;

  /** {@code presence_penalty}, {@code frequency_penalty}, {@code seed}. */
  final boolean penaltiesAndSeed;

  /** {@code response_format: {"type": "json_object"}}. */
  final boolean jsonObject;

  /** {@code parallel_tool_calls: false}. */
  final boolean serialToolCalls;

  /** {@code tool_choice: "none"}. */
  final boolean toolChoiceNone;

  /** Stop sequences of nothing but white space ({@code "\n"}): Anthropic refuses them. */
  final boolean whitespaceStops;

  /**
   * Text blocks of nothing but white space ({@code "\n\n"}): Anthropic refuses them ("text content
   * blocks must contain non-whitespace text"), Bedrock Converse too ("the text field ... is
   * blank").
   */
  final boolean blankText;

  /** The highest {@code temperature} the target takes (OpenAI's is 2). */
  final double maxTemperature;

  Target(
      String label,
      boolean imageUrls,
      boolean penaltiesAndSeed,
      boolean jsonObject,
      boolean serialToolCalls,
      boolean toolChoiceNone,
      boolean whitespaceStops,
      boolean blankText,
      double maxTemperature) {
    this.label = label;
    this.imageUrls = imageUrls;
    this.penaltiesAndSeed = penaltiesAndSeed;
    this.jsonObject = jsonObject;
    this.serialToolCalls = serialToolCalls;
    this.toolChoiceNone = toolChoiceNone;
    this.whitespaceStops = whitespaceStops;
    this.blankText = blankText;
    this.maxTemperature = maxTemperature;
  }
}
