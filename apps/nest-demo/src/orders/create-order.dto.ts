import { IsInt, IsString, Matches, Max, Min } from 'class-validator';

/** The body of `POST /api/v1/orders`, checked by the global ValidationPipe (a 400 otherwise). */
export class CreateOrderDto {
  @IsString()
  @Matches(/^[A-Z-]+$/)
  sku: string;

  @IsInt()
  @Min(1)
  @Max(100)
  quantity: number;
}
