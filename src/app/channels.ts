// Names and shapes shared by the bridge (which runs in every frame and so imports nothing heavy) and
// the background. The background's schemas for what it receives are in messages.ts.

export const CEREMONY_PORT = 'keyport:ceremony';
/**
 * storage.local key naming the open front door ('proxy' or 'shim'), read by every bridge. Only a hint: it stays
 * in storage.local (which content scripts can write) because a bridge must read it without waking the
 * background. Whatever it says, the background decides every request itself: a false 'shim' only sends a
 * request down the page-script door, which validates as strictly; a false 'proxy' only makes the shim stand aside.
 */
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
