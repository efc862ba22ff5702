// Names and shapes shared by the bridge (which runs in every frame and so imports nothing heavy) and
// the background. The background's schemas for what it receives are in messages.ts.

export const CEREMONY_PORT = 'keyport:ceremony';
/** storage.local key naming the open front door ('proxy' or 'shim'), read by every bridge. */
export const DOOR_KEY = 'keyport:door';

/** Background → every bridge of a tab: "does the <iframe> of frame `frameId` delegate `feature` to `origin`?" */
export const FRAME_POLICY = 'keyport:frame-policy';
export interface FramePolicyQuery {
  type: typeof FRAME_POLICY;
  frameId: number;
  origin: string;
  feature: 'publickey-credentials-create' | 'publickey-credentials-get';
}
/** Only the bridge of the frame that holds that <iframe> element answers; `embedder` is that frame. */
export interface FramePolicyAnswer {
  allowed: boolean;
  embedder: { frameId: number; origin: string };
}
