/** The service layer's public face: LabService and the capture-analysis pipeline. */
export { LabService, ServiceError, VERSION } from './lab-service';
export type { LabServiceOptions } from './lab-service';
export { analyzeCapture, CaptureOpenError } from './analyze';
export type { AnalyzeOptions, AnalyzeResult } from './analyze';
