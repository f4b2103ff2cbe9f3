import { s3Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { createBucket } from '../../shared/storage/bucket';
import type { BucketStepState } from '../../shared/storage/types';

/** CreateBucket (S1) -> `$.bucket` = `{ bucketName, bucketArn, region, managed, adopted, kmsKeyArn? }`. */
export const handler = stepHandler('CreateBucket', (state: BucketStepState) => createBucket(state.config, { s3: s3Client(targetOf(state.config)) }));
