package dev.aigateway.core.translate;

/**
 * An OpenAI chat request that a backend of another protocol cannot be given without changing what
 * it asks for: a field or value the target has no equivalent of. The gateway answers it with a 400
 * {@code unsupported_parameter} in OpenAI's error shape, naming {@link #param()}, before any
 * backend is called. The message names the field and the target, never the request's contents.
 */
public final class TranslationRefusedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String param;

  /**
   * A refusal of one field.
   *
   * @param param the request field at fault, as OpenAI names a parameter ({@code n}, {@code
   *     messages[2].content[0].image_url})
   * @param message what cannot be translated and what to do instead
   */
  public TranslationRefusedException(String param, String message) {
    super(message, null, false, false);
    this.param = param;
  }

  /** The request field at fault. */
  public String param() {
    return param;
  }
}
