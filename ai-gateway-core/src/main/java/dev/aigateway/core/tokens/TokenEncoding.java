package dev.aigateway.core.tokens;

/**
 * A tiktoken encoding, the vocabulary a model's text is counted with. {@link
 * TokenCounter#encodingFor(String)} says which one a model gets; a {@link TokenCounter.Builder}
 * maps further models (deployment names, models the built-in mapping does not know) to one of
 * these.
 */
public enum TokenEncoding {
  /** {@code o200k_base}: gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1, o3, o4 and their variants. */
  O200K_BASE("o200k_base"),
  /** {@code cl100k_base}: gpt-4, gpt-3.5-turbo, the text-embedding-3 models and ada-002. */
  CL100K_BASE("cl100k_base"),
  /** {@code p50k_base}: the legacy code and text-davinci-002/003 models. */
  P50K_BASE("p50k_base"),
  /** {@code p50k_edit}: the legacy edit models. */
  P50K_EDIT("p50k_edit"),
  /** {@code r50k_base}: GPT-3 models such as davinci. */
  R50K_BASE("r50k_base");

  private final String encodingName;

  TokenEncoding(String encodingName) {
    this.encodingName = encodingName;
  }

  /** The encoding's name as tiktoken spells it, such as {@code o200k_base}. */
  public String encodingName() {
    return encodingName;
  }
}
