/**
 * The pipeline's stage contract: a {@link dev.aigateway.core.pipeline.CallStage} per stage and
 * call, and the {@link dev.aigateway.core.pipeline.Exchange} the stages of one call share. Internal
 * to the library: public only so that each stage can live in its own package.
 */
package dev.aigateway.core.pipeline;
