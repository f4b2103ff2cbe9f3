import { s3Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { deleteBucket } from '../../shared/storage/bucket';
import type { BucketUndoState } from '../../shared/storage/types';

/** DeleteBucket: undo of CreateBucket -> `{ deleted, notFound, kept, leftForeign }`; a bucket holding objects is kept, never emptied. */
export const handler = stepHandler('DeleteBucket', (state: BucketUndoState) => deleteBucket(state, { s3: s3Client(targetOf(state.config)) }));
