/** The contract between the admin page and its resolver (typed on both sides). */
export interface AdminStatus {
  scimBaseUrl: string;
  tokenConfigured: boolean;
  users: number;
  groups: number;
}

export type AdminApi = {
  getStatus: () => AdminStatus;
  rotateToken: () => { token: string };
};
